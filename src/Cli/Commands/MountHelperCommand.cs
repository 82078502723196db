using System.CommandLine;
using System.Diagnostics;
using BucketMount.Backends.Remotes;

namespace BucketMount.Cli.Commands;

/// <summary>
/// mount(8)'s helper: `mount -t fuse.bucketmount REMOTE DIR -o OPTIONS` and /etc/fstab lines run
/// `mount.fuse.bucketmount REMOTE DIR [-sfnv] -o OPTIONS` (contrib/mount.bucketmount, or this program under that
/// name), which becomes `bucketmount mount REMOTE DIR --daemon ...`: it returns once the mount is ready, as mount(8)
/// expects. Each -o option maps to a mount option of the same name (cache_dir= is --cache-dir); the ones mount(8),
/// systemd and fstab keep for themselves (_netdev, nofail, x-systemd.*, comment=...) are accepted and ignored;
/// anything else is refused by name, so a typo never mounts with a setting silently missing.
/// </summary>
internal static class MountHelperCommand
{
    public const string Name = "mount-helper";

    /// <summary>Options for mount(8), systemd or fstab readers, or kernel flags FUSE sets itself: accepted, ignored.</summary>
    private static readonly HashSet<string> Ignored = new(StringComparer.Ordinal)
    {
        "defaults", "auto", "noauto", "user", "users", "nouser", "owner", "group", "nofail", "_netdev", "netdev", "rw",
        "suid", "nosuid", "dev", "nodev", "exec", "noexec", "atime", "noatime", "relatime", "norelatime", "strictatime",
        "lazytime", "nolazytime", "async", "diratime", "nodiratime", "loop",
    };

    /// <summary>fstab-style names of the kernel options other FUSE file systems take, as ours are named.</summary>
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        ["ro"] = "--read-only",
        ["allow_other"] = "--allow-other",
    };

    public static Command Create(IEnumerable<Option> mountOptions)
    {
        var words = new Argument<string[]>("arguments") { Description = "REMOTE DIR [-sfnv] [-o OPTIONS], as mount(8) passes them.", Arity = ArgumentArity.OneOrMore };
        var command = new Command(Name, "Used by mount(8) and /etc/fstab (type fuse.bucketmount): mounts in the background.") { words };
        command.Hidden = true;
        command.TreatUnmatchedTokensAsErrors = false;
        var known = mountOptions.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        command.SetAction(async (parse, ct) =>
        {
            var all = parse.GetValue(words)!.Concat(parse.UnmatchedTokens).ToArray();
            try
            {
                var request = Translate(all, known);
                if (request.Verbose || request.Fake)
                {
                    Console.WriteLine("bucketmount " + string.Join(' ', request.Arguments.Select(Quote)));
                }

                return request.Fake ? 0 : await RunAsync(request, ct);
            }
            catch (ArgumentException e)
            {
                await Console.Error.WriteLineAsync($"mount.bucketmount: {e.Message}");
                return 2;
            }
        });
        return command;
    }

    /// <summary>What mount(8) asked for, as this program's own command line.</summary>
    internal sealed record Request(List<string> Arguments, bool Fake, bool Verbose, string? ConfigFile);

    internal static Request Translate(string[] words, ISet<string> knownOptions)
    {
        var positional = new List<string>();
        var options = new List<string>();
        bool fake = false, verbose = false, sloppy = false;
        for (var i = 0; i < words.Length; i++)
        {
            switch (words[i])
            {
                case "-o" when i + 1 < words.Length:
                    options.AddRange(words[++i].Split(',', StringSplitOptions.RemoveEmptyEntries));
                    break;
                case var word when word.StartsWith("-o", StringComparison.Ordinal) && word.Length > 2:
                    options.AddRange(word[2..].Split(',', StringSplitOptions.RemoveEmptyEntries));
                    break;
                case "-N" or "-t" when i + 1 < words.Length:
                    i++; // a namespace or the type: mount(8) already chose us
                    break;
                case var flags when flags.Length > 1 && flags[0] == '-' && flags[1..].All(c => c is 's' or 'f' or 'n' or 'v'):
                    fake |= flags.Contains('f');
                    verbose |= flags.Contains('v');
                    sloppy |= flags.Contains('s');
                    break;
                case var other when other.StartsWith('-'):
                    throw new ArgumentException($"'{other}' is not an argument mount(8) passes: use -o OPTIONS.");
                default:
                    positional.Add(words[i]);
                    break;
            }
        }

        if (positional.Count != 2)
        {
            throw new ArgumentException("expected REMOTE and DIR (as in `mount -t fuse.bucketmount s3://bucket /mnt/bucket -o allow_other`).");
        }

        // fstab's first field may be written "bucketmount#s3://bucket", the old FUSE convention.
        var remote = positional[0].StartsWith("bucketmount#", StringComparison.Ordinal) ? positional[0]["bucketmount#".Length..] : positional[0];
        var arguments = new List<string> { "mount", remote, positional[1], "--daemon" };
        string? config = null;
        foreach (var option in options)
        {
            var equals = option.IndexOf('=', StringComparison.Ordinal);
            var (name, value) = equals < 0 ? (option, null) : (option[..equals], option[(equals + 1)..]);
            if (Ignored.Contains(name) || name.StartsWith("x-", StringComparison.Ordinal) || name == "comment")
            {
                continue;
            }

            if (name == "config" && value is { Length: > 0 })
            {
                config = value; // the remotes file for name: remotes, as $BUCKETMOUNT_CONFIG
                continue;
            }

            var flag = Aliases.GetValueOrDefault(name) ?? "--" + name.Replace('_', '-');
            if (!knownOptions.Contains(flag) || flag == "--daemon")
            {
                if (sloppy)
                {
                    continue;
                }

                var names = knownOptions.Where(k => k != "--daemon").Select(k => k[2..].Replace('-', '_')).Concat(Aliases.Keys).Concat(["config"]);
                throw new ArgumentException($"unknown option '{name}'{Suggestions.DidYouMean(name, names)}; `bucketmount mount --help` lists the options (write them without '--', '-' as '_': cache_dir=/var/cache/b).");
            }

            arguments.Add(flag);
            if (value is not null)
            {
                arguments.Add(value);
            }
        }

        return new Request(arguments, fake, verbose, config);
    }

    /// <summary>Runs the translated mount in a new process of this program (so its background start works as from a shell).</summary>
    private static async Task<int> RunAsync(Request request, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, typeof(MountHelperCommand).Assembly.GetName().Name + ".dll"));
        }

        request.Arguments.ForEach(info.ArgumentList.Add);
        if (request.ConfigFile is { } config)
        {
            info.Environment["BUCKETMOUNT_CONFIG"] = config;
        }

        using var child = Process.Start(info)!;
        await child.WaitForExitAsync(cancellationToken);
        return child.ExitCode;
    }

    private static string Quote(string word) => word.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or '&' or '?' or '$') ? $"'{word.Replace("'", "'\\''", StringComparison.Ordinal)}'" : word;
}
