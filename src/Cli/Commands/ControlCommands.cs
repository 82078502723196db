using System.CommandLine;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using BucketMount.Backends;
using BucketMount.Cli.Mounting;

namespace BucketMount.Cli.Commands;

/// <summary>`status` and `unmount`: they talk to running mounts over their control sockets.</summary>
internal static class ControlCommands
{
    public static Command Status()
    {
        var mountPoint = new Argument<string?>("mountpoint") { Description = "One mount; all of yours when left out.", Arity = ArgumentArity.ZeroOrOne };
        var json = new Option<bool>("--json") { Description = "Machine-readable output." };
        var command = new Command("status", "Show running mounts: remote, cache use, dirty files, pending and failed uploads, requests, throughput, last errors.") { mountPoint, json };
        command.SetAction(async (parse, ct) =>
        {
            var sockets = parse.GetValue(mountPoint) is { } mp
                ? [ControlPaths.SocketFor(mp)]
                : Directory.GetFiles(ControlPaths.Folder(), "*.sock");
            var replies = new List<MountStatus>();
            foreach (var socket in sockets)
            {
                if (await AskAsync(socket, new ControlRequest("status"), null, ct) is { Status: { } status })
                {
                    replies.Add(status);
                }
            }

            // Mounts whose process died: the kernel still lists them, and every call there fails until they are detached.
            var stale = OperatingSystem.IsLinux() ? Fuse.MountTable.Stale() : [];
            if (parse.GetValue(mountPoint) is { } asked)
            {
                stale = [.. stale.Where(s => s == Path.TrimEndingDirectorySeparator(Path.GetFullPath(asked)))];
            }

            foreach (var dead in stale)
            {
                await Console.Error.WriteLineAsync(
                    $"Stale mount: {dead} (its bucketmount process died; every call there fails with \"Transport endpoint is not connected\"). " +
                    $"Mount the same remote there again to detach it and finish what its cache's journal holds, or detach it with `fusermount3 -u -z {dead}`.");
            }

            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(replies, CliJson.Indented.ListMountStatus));
            }
            else if (replies.Count == 0 && stale.Count == 0)
            {
                Console.WriteLine("No running mounts.");
            }
            else
            {
                replies.ForEach(r => Console.WriteLine(StatusText.Format(r)));
            }

            return parse.GetValue(mountPoint) is not null && replies.Count == 0 ? 1 : 0;
        });
        return command;
    }

    public static Command Unmount()
    {
        var mountPoint = new Argument<string>("mountpoint") { Description = "The mount to end." };
        var force = new Option<bool>("--force")
        {
            Description = "Do not wait: closed files not yet uploaded stay only in the cache's journal (the next mount with that cache uploads them), and unfinished changes of files still open are lost. It says which.",
        };
        var command = new Command("unmount", "Upload what is pending and wait for files being written, then unmount. Exit code 0 means every change is in the store.") { mountPoint, force };
        command.SetAction(async (parse, ct) =>
        {
            var reply = await AskAsync(ControlPaths.SocketFor(parse.GetValue(mountPoint)!), new ControlRequest("unmount", parse.GetValue(force)),
                progress => Console.Error.Write($"\r  {progress}   "), ct);
            if (reply is null)
            {
                await Console.Error.WriteLineAsync($"bucketmount: no running mount at {parse.GetValue(mountPoint)}.");
                return 1;
            }

            Console.WriteLine(PrintableNames.EscapeControls(reply.Message ?? ""));
            return reply.Ok ? 0 : 1;
        });
        return command;
    }

    /// <summary>Sends one request and returns the final reply, passing progress lines that come before it to <paramref name="progress"/>.</summary>
    internal static async Task<ControlReply?> AskAsync(string socketPath, ControlRequest request, Action<string>? progress, CancellationToken cancellationToken)
    {
        if (!File.Exists(socketPath))
        {
            return null;
        }

        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
        }
        catch (SocketException)
        {
            return null;
        }

        await using var stream = new NetworkStream(socket);
        await using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true };
        using var reader = new StreamReader(stream, Encoding.UTF8);
        await writer.WriteLineAsync(JsonSerializer.Serialize(request, CliJson.Default.ControlRequest));
        var printedProgress = false;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            var reply = JsonSerializer.Deserialize(line, CliJson.Default.ControlReply);
            if (reply?.Progress is { } text)
            {
                progress?.Invoke(text);
                printedProgress = true;
                continue;
            }

            if (printedProgress)
            {
                Console.Error.WriteLine();
            }

            return reply;
        }

        return null;
    }
}
