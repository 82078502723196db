using System.CommandLine;
using BucketMount.Backends;
using BucketMount.Cli.Configuration;
using BucketMount.Engine.Namespace.Index;

namespace BucketMount.Cli.Commands;

/// <summary>
/// Object-level commands (ls, cat, put, rm): look into a remote without mounting it. Like `mount`, each takes the
/// remote first and, when it is left out, uses the embedded local store.
/// </summary>
internal static class ObjectCommands
{
    public static Command List()
    {
        var remote = RemoteArgument.Create();
        remote.Arity = ArgumentArity.ZeroOrOne;
        var prefix = new Option<string>("--prefix") { Description = "Only keys below this prefix.", DefaultValueFactory = _ => "" };
        var recursive = new Option<bool>("--recursive", "-r") { Description = "List every key, not one level." };
        var all = new Option<bool>("--all", "-a") { Description = $"Also list the mount's own metadata indexes ({DirectoryIndexFormat.ReservedName} in each directory it wrote)." };
        var command = new Command("ls", "List objects and folders of a remote.") { remote, prefix, recursive, all };
        RemoteArgument.AddLogLevel(command);
        command.SetAction((parse, ct) => RemoteArgument.RunAsync(parse, parse.GetValue(remote), async (store, _) =>
        {
            await foreach (var entry in store.ListAsync(parse.GetValue(prefix)!, parse.GetValue(recursive) ? null : "/", ct))
            {
                if (!parse.GetValue(all) && !entry.IsPrefix && IsMetadataIndex(entry.Key))
                {
                    continue;
                }

                Console.WriteLine(entry.IsPrefix
                    ? $"{"DIR",12}  {"",20}  {PrintableNames.Escape(entry.Key)}"
                    : $"{entry.Object!.Size,12}  {entry.Object.LastModified.UtcDateTime:yyyy-MM-dd HH:mm:ss}  {PrintableNames.Escape(entry.Key)}");
            }

            return 0;
        }));
        return command;
    }

    internal static bool IsMetadataIndex(string key) =>
        key == DirectoryIndexFormat.ReservedName || key.EndsWith("/" + DirectoryIndexFormat.ReservedName, StringComparison.Ordinal);

    public static Command Cat()
    {
        var remote = RemoteArgument.Create(RemoteArgument.OptionalDescription);
        var key = new Argument<string?>("key") { Description = "The object's key.", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("cat", "Write an object's bytes to standard output.") { remote, key };
        RemoteArgument.AddLogLevel(command);
        command.SetAction((parse, ct) =>
        {
            var (remoteText, keyText) = parse.GetValue(key) is { } given ? (parse.GetValue(remote), given) : (null, parse.GetValue(remote)!);
            if (remoteText is null && RemoteConfig.LooksLikeRemote(keyText))
            {
                return RemoteArgument.MissingAsync($"cat needs the KEY after the remote (bucketmount cat {keyText} KEY).");
            }

            return RemoteArgument.RunAsync(parse, remoteText, async (store, _) =>
            {
                await using var output = Console.OpenStandardOutput();
                await store.ReadToAsync(keyText, 0, null, output, null, ct);
                return 0;
            });
        });
        return command;
    }

    public static Command Put()
    {
        var remote = RemoteArgument.Create(RemoteArgument.OptionalDescription);
        var key = new Argument<string>("key") { Description = "The object's key." };
        var file = new Argument<string?>("file") { Description = "The local file to upload ('-' for standard input).", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("put", "Upload a local file as one object (large files in parallel parts).") { remote, key, file };
        RemoteArgument.AddLogLevel(command);
        command.SetAction((parse, ct) =>
        {
            var (remoteText, keyText, path) = parse.GetValue(file) is { } given
                ? (parse.GetValue(remote), parse.GetValue(key)!, given)
                : (null, parse.GetValue(remote)!, parse.GetValue(key)!);
            if (remoteText is null && RemoteConfig.LooksLikeRemote(keyText))
            {
                return RemoteArgument.MissingAsync($"put needs the KEY and the local FILE after the remote (bucketmount put {keyText} KEY FILE).");
            }

            return RemoteArgument.RunAsync(parse, remoteText, async (store, _) =>
            {
                ObjectInfo info;
                if (path == "-")
                {
                    await using var input = Console.OpenStandardInput();
                    info = await store.PutAsync(keyText, input, null, ct);
                }
                else
                {
                    using var handle = OpenLocalFile(path);
                    info = await store.UploadAsync(keyText, FileUploadSource.Open(handle), null, ct);
                }

                Console.WriteLine($"{PrintableNames.Escape(info.Key)}: {info.Size} bytes, ETag {PrintableNames.Escape(info.ETag)}");
                return 0;
            });
        });
        return command;
    }

    /// <summary>The file `put` uploads, refused in words when it is missing, a folder or unreadable.</summary>
    private static Microsoft.Win32.SafeHandles.SafeFileHandle OpenLocalFile(string path)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new ArgumentException($"'{path}' is a directory: put uploads one file (to upload a tree, mount the bucket and use cp -r or rsync).");
        }

        if (!File.Exists(full))
        {
            throw new ArgumentException($"'{path}' does not exist: give the local file to upload, or '-' for standard input.");
        }

        try
        {
            return File.OpenHandle(full, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new ArgumentException($"'{path}' cannot be read ({e.Message}).");
        }
    }

    public static Command Remove()
    {
        var words = new Argument<string[]>("keys")
        {
            Description = "[REMOTE] then the keys to delete (or, with --recursive, the folders); without a remote, the embedded local store.",
            Arity = ArgumentArity.OneOrMore,
        };
        var recursive = new Option<bool>("--recursive", "-r") { Description = "Delete each folder and every object below it." };
        var command = new Command("rm", "Delete objects (a missing key is not an error).") { words, recursive };
        RemoteArgument.AddLogLevel(command);
        command.SetAction((parse, ct) =>
        {
            var given = parse.GetValue(words)!;
            var (remoteText, keys) = given.Length > 1 && RemoteConfig.LooksLikeRemote(given[0]) ? (given[0], given[1..]) : (null, given);
            if (given.Length == 1 && RemoteConfig.LooksLikeRemote(given[0]))
            {
                return RemoteArgument.MissingAsync($"rm needs the keys to delete after the remote (bucketmount rm {given[0]} KEY...; a folder and all below it: rm -r {given[0]} FOLDER).");
            }

            return RemoteArgument.RunAsync(parse, remoteText, async (store, _) =>
            {
                var targets = parse.GetValue(recursive) ? await BelowAsync(store, keys, ct) : keys;
                var failures = await store.DeleteManyAsync(targets, ct);
                foreach (var failure in failures)
                {
                    await Console.Error.WriteLineAsync($"bucketmount: could not delete '{PrintableNames.Escape(failure.Key)}': {PrintableNames.EscapeControls(failure.Error.Message)}");
                }

                if (parse.GetValue(recursive))
                {
                    Console.WriteLine($"Deleted {targets.Count - failures.Count} object(s).");
                }

                return failures.Count == 0 ? 0 : 1;
            });
        });
        return command;
    }

    /// <summary>Each folder's own object (a file or its `dir/` marker) and every key below it, for `rm -r`.</summary>
    private static async Task<IReadOnlyList<string>> BelowAsync(IObjectStore store, IEnumerable<string> folders, CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        foreach (var folder in folders)
        {
            var name = folder.TrimEnd('/');
            if (name.Length == 0)
            {
                throw new ArgumentException("rm -r needs a folder name: to empty a whole bucket, list its top-level folders (bucketmount ls REMOTE).");
            }

            if (await store.HeadAsync(name, cancellationToken) is not null)
            {
                keys.Add(name);
            }

            await foreach (var entry in store.ListAsync(name + "/", null, cancellationToken))
            {
                if (!entry.IsPrefix)
                {
                    keys.Add(entry.Key);
                }
            }
        }

        return keys;
    }
}
