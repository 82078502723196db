using System.CommandLine;
using BucketMount.Backends;
using BucketMount.Cli.Configuration;
using BucketMount.Cli.Service;

namespace BucketMount.Cli.Commands;

/// <summary>`bucketmount mounts add|remove|list`: the configured mounts the Windows service keeps mounted.</summary>
internal static class MountsCommand
{
    public static Command Create()
    {
        var command = new Command("mounts", "The mounts the bucketmount service keeps mounted (from boot on Windows): add, remove, list, start.");
        command.Subcommands.Add(Add());
        command.Subcommands.Add(Remove());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Start());
        return command;
    }

    /// <summary>Asks the running service to mount one configured mount now (after `add`, or one unmounted or failed).</summary>
    private static Command Start()
    {
        var name = new Argument<string>("name") { Description = "The mount's name or mount point." };
        var command = new Command("start", "Ask the running service to mount this configured mount now (stop one with `bucketmount unmount NAME`).") { name };
        command.SetAction(async (parse, ct) =>
        {
            var reply = await Control.ControlEndpoint.Service.AskAsync(new Control.ControlRequest("mount", Mount: parse.GetValue(name)), null, ct);
            if (reply is null)
            {
                await Console.Error.WriteLineAsync("bucketmount: the bucketmount service is not running (Windows: `sc start bucketmount`; elsewhere `bucketmount service --console`).");
                return 1;
            }

            Console.WriteLine(reply.Message);
            return reply.Ok ? 0 : 1;
        });
        return command;
    }

    private static Command Add()
    {
        var name = new Argument<string>("name") { Description = "A name for the mount (letters, digits, '-', '_')." };
        var remote = new Argument<string>("remote") { Description = "The remote: a URI (s3://bucket/prefix) or a named remote (photos: or photos:2024)." };
        var mountPoint = new Argument<string>("mountpoint") { Description = "A drive letter (X:), * for the first free one, or an empty folder." };
        var command = new Command("add", "Add a mount; mount options (as for `bucketmount mount`) may follow, e.g. --read-only --volume-label Photos.") { name, remote, mountPoint };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(parse =>
        {
            var entry = new ConfiguredMount
            {
                Name = parse.GetValue(name)!,
                Remote = parse.GetValue(remote)!,
                MountPoint = parse.GetValue(mountPoint)!,
                Options = [.. parse.UnmatchedTokens],
            };
            return Run(() =>
            {
                Validate(entry);
                var mounts = MountsConfig.Load(ServicePaths.ConfigFile);
                if (mounts.Any(m => string.Equals(m.Name, entry.Name, StringComparison.OrdinalIgnoreCase)))
                {
                    throw new ArgumentException($"a mount named '{entry.Name}' exists already: remove it first (bucketmount mounts remove {entry.Name}).");
                }

                if (mounts.FirstOrDefault(m => Control.ControlProtocol.SameMount(m.MountPoint, entry.MountPoint) && m.MountPoint != "*") is { } taken)
                {
                    throw new ArgumentException($"the mount '{taken.Name}' uses {entry.MountPoint} already: choose another mount point.");
                }

                MountsConfig.Save([.. mounts, entry], ServicePaths.ConfigFile);
                Console.WriteLine($"Added '{entry.Name}': {entry.Remote} at {entry.MountPoint}. The service mounts it at its next start, or now with `bucketmount mounts start {entry.Name}`.");
            });
        });
        return command;
    }

    private static Command Remove()
    {
        var name = new Argument<string>("name") { Description = "The mount's name (see `bucketmount mounts list`)." };
        var command = new Command("remove", "Remove a mount from the configuration (the service unmounts it at its next start).") { name };
        command.SetAction(parse => Run(() =>
        {
            var mounts = MountsConfig.Load(ServicePaths.ConfigFile);
            var kept = mounts.Where(m => !string.Equals(m.Name, parse.GetValue(name), StringComparison.OrdinalIgnoreCase)).ToList();
            if (kept.Count == mounts.Count)
            {
                throw new ArgumentException($"no mount named '{parse.GetValue(name)}'; the configured ones are: {(mounts.Count == 0 ? "none" : string.Join(", ", mounts.Select(m => m.Name)))}.");
            }

            MountsConfig.Save(kept, ServicePaths.ConfigFile);
            Console.WriteLine($"Removed '{parse.GetValue(name)}'.");
        }));
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List the configured mounts.");
        command.SetAction(parse => Run(() =>
        {
            var mounts = MountsConfig.Load(ServicePaths.ConfigFile);
            if (mounts.Count == 0)
            {
                Console.WriteLine($"No mounts configured ({ServicePaths.ConfigFile}); add one with `bucketmount mounts add NAME REMOTE X:`.");
                return;
            }

            foreach (var mount in mounts)
            {
                Console.WriteLine($"{mount.Name}\t{mount.Remote}\t{mount.MountPoint}\t{string.Join(' ', mount.Options)}".TrimEnd());
            }
        }));
        return command;
    }

    /// <summary>The entry must be what `bucketmount mount` accepts: its options are checked by that command's own parser.</summary>
    internal static void Validate(ConfiguredMount entry)
    {
        if (entry.Name.Length is 0 or > 64 || !entry.Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw new ArgumentException($"the mount name '{entry.Name}' must be 1 to 64 letters, digits, '-' or '_'.");
        }

        var parse = MountCommand.Create().Parse([.. entry.MountArguments().Skip(1)]);
        if (parse.Errors.Count > 0)
        {
            throw new ArgumentException($"the options of '{entry.Name}' are not what `bucketmount mount` accepts: {string.Join("; ", parse.Errors.Select(e => e.Message))}");
        }
    }

    private static int Run(Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or ObjectStoreException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine("bucketmount: " + e.Message);
            return 2;
        }
    }
}
