using System.CommandLine;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
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
                if (await AskAsync(socket, new ControlRequest("status"), ct) is { Status: { } status })
                {
                    replies.Add(status);
                }
            }

            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(replies, CliJson.Indented.ListMountStatus));
            }
            else if (replies.Count == 0)
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
        var force = new Option<bool>("--force") { Description = "Do not wait for pending uploads; they finish at the next mount with the same cache." };
        var command = new Command("unmount", "Upload what is pending, then unmount (waits until done).") { mountPoint, force };
        command.SetAction(async (parse, ct) =>
        {
            var reply = await AskAsync(ControlPaths.SocketFor(parse.GetValue(mountPoint)!), new ControlRequest("unmount", parse.GetValue(force)), ct);
            if (reply is null)
            {
                await Console.Error.WriteLineAsync($"bucketmount: no running mount at {parse.GetValue(mountPoint)}.");
                return 1;
            }

            Console.WriteLine(reply.Message);
            return reply.Ok ? 0 : 1;
        });
        return command;
    }

    private static async Task<ControlReply?> AskAsync(string socketPath, ControlRequest request, CancellationToken cancellationToken)
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
        var line = await reader.ReadLineAsync(cancellationToken);
        return line is null ? null : JsonSerializer.Deserialize(line, CliJson.Default.ControlReply);
    }
}
