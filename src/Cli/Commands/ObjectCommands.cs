using System.CommandLine;
using BucketMount.Backends;
using BucketMount.Engine.Namespace.Index;

namespace BucketMount.Cli.Commands;

/// <summary>Object-level commands (ls, cat, put, rm): look into a remote without mounting it.</summary>
internal static class ObjectCommands
{
    public static Command List()
    {
        var remote = RemoteArgument.Create();
        var prefix = new Option<string>("--prefix") { Description = "Only keys below this prefix.", DefaultValueFactory = _ => "" };
        var recursive = new Option<bool>("--recursive", "-r") { Description = "List every key, not one level." };
        var all = new Option<bool>("--all", "-a") { Description = $"Also list the mount's own metadata indexes ({DirectoryIndexFormat.ReservedName} in each directory it wrote)." };
        var command = new Command("ls", "List objects and folders of a remote.") { remote, prefix, recursive, all };
        command.SetAction((parse, ct) => RemoteArgument.RunAsync(parse.GetValue(remote), async (store, _) =>
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

    private static bool IsMetadataIndex(string key) =>
        key == DirectoryIndexFormat.ReservedName || key.EndsWith("/" + DirectoryIndexFormat.ReservedName, StringComparison.Ordinal);

    public static Command Cat()
    {
        var remote = RemoteArgument.Create();
        var key = new Argument<string>("key") { Description = "The object's key." };
        var command = new Command("cat", "Write an object's bytes to standard output.") { remote, key };
        command.SetAction((parse, ct) => RemoteArgument.RunAsync(parse.GetValue(remote), async (store, _) =>
        {
            await using var output = Console.OpenStandardOutput();
            await store.ReadToAsync(parse.GetValue(key)!, 0, null, output, null, ct);
            return 0;
        }));
        return command;
    }

    public static Command Put()
    {
        var remote = RemoteArgument.Create();
        var key = new Argument<string>("key") { Description = "The object's key." };
        var file = new Argument<FileInfo>("file") { Description = "The local file to upload ('-' for standard input)." };
        var command = new Command("put", "Upload a local file as one object (large files in parallel parts).") { remote, key, file };
        command.SetAction((parse, ct) => RemoteArgument.RunAsync(parse.GetValue(remote), async (store, _) =>
        {
            var source = parse.GetValue(file)!;
            ObjectInfo info;
            if (source.Name == "-")
            {
                await using var input = Console.OpenStandardInput();
                info = await store.PutAsync(parse.GetValue(key)!, input, null, ct);
            }
            else
            {
                using var handle = File.OpenHandle(source.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous);
                info = await store.UploadAsync(parse.GetValue(key)!, FileUploadSource.Open(handle), null, ct);
            }

            Console.WriteLine($"{PrintableNames.Escape(info.Key)}: {info.Size} bytes, ETag {PrintableNames.Escape(info.ETag)}");
            return 0;
        }));
        return command;
    }

    public static Command Remove()
    {
        var remote = RemoteArgument.Create();
        var keys = new Argument<string[]>("keys") { Description = "The keys to delete.", Arity = ArgumentArity.OneOrMore };
        var command = new Command("rm", "Delete objects (a missing key is not an error).") { remote, keys };
        command.SetAction((parse, ct) => RemoteArgument.RunAsync(parse.GetValue(remote), async (store, _) =>
        {
            var failures = await store.DeleteManyAsync(parse.GetValue(keys)!, ct);
            foreach (var failure in failures)
            {
                await Console.Error.WriteLineAsync($"bucketmount: could not delete '{PrintableNames.Escape(failure.Key)}': {PrintableNames.EscapeControls(failure.Error.Message)}");
            }

            return failures.Count == 0 ? 0 : 1;
        }));
        return command;
    }
}
