using System.CommandLine;
using System.Text.Json;
using BucketMount.Backends;
using BucketMount.Cli.Control;
using BucketMount.Cli.Mounting;

namespace BucketMount.Cli.Commands;

/// <summary>`status` and `unmount`: they talk to running mounts over their control channels (Unix sockets; named pipes on Windows).</summary>
internal static class ControlCommands
{
    public static Command Status()
    {
        var mountPoint = new Argument<string?>("mountpoint") { Description = "One mount; all of yours when left out.", Arity = ArgumentArity.ZeroOrOne };
        var json = new Option<bool>("--json") { Description = "Machine-readable output." };
        var command = new Command("status", "Show running mounts: remote, cache use, dirty files, pending and failed uploads, requests, throughput, last errors.") { mountPoint, json };
        command.SetAction(async (parse, ct) =>
        {
            var replies = await StatusesAsync(parse.GetValue(mountPoint), ct);

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
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var progressOutput = new RelayedProgressOutput(Console.Error, terminal: !Console.IsErrorRedirected, () => clock.Elapsed);
            var reply = await AskMountAsync(parse.GetValue(mountPoint)!, new ControlRequest("unmount", parse.GetValue(force)), progressOutput.Report, ct);
            progressOutput.Finish();

            if (reply is null)
            {
                await Console.Error.WriteLineAsync(DetachIfDead(parse.GetValue(mountPoint)!) ?? $"bucketmount: no running mount at {parse.GetValue(mountPoint)}.");
                return 1;
            }

            Console.WriteLine(PrintableNames.EscapeControls(reply.Message ?? ""));
            return reply.Ok ? 0 : 1;
        });
        return command;
    }

    /// <summary>
    /// A mount point whose bucketmount process died (kill -9, the OOM killer) answers nobody: `unmount` detaches it
    /// as the user asked, rather than saying "no running mount" and leaving a directory where every call fails.
    /// Null when <paramref name="mountPoint"/> is not such a mount.
    /// </summary>
    private static string? DetachIfDead(string mountPoint)
    {
        if (!OperatingSystem.IsLinux() || !Fuse.MountTable.IsStale(mountPoint))
        {
            return null;
        }

        return Fuse.MountTable.DetachStale(mountPoint)
            ? $"bucketmount: the mount at {mountPoint} had no process any more (it died: kill -9, out of memory); detached it. " +
              "Files it had not uploaded yet are NOT in the store: they wait in its cache directory's journal, and the next mount of the same remote with that cache directory uploads them."
            : $"bucketmount: the mount at {mountPoint} had no process any more (it died), and detaching it failed: run `fusermount3 -u -z {mountPoint}`. " +
              "Files it had not uploaded yet wait in its cache directory's journal for the next mount with that cache directory.";
    }

    /// <summary>
    /// Asks the process serving <paramref name="mountPoint"/>: its own `bucketmount mount` process, or else the
    /// service (which keeps the configured mounts). Null when neither serves it.
    /// </summary>
    internal static async Task<ControlReply?> AskMountAsync(string mountPoint, ControlRequest request, Action<string>? progress, CancellationToken cancellationToken)
    {
        var reply = await ControlEndpoint.ForMount(mountPoint).AskAsync(request, progress, cancellationToken);
        if (reply is null)
        {
            reply = await ControlEndpoint.Service.AskAsync(request with { Mount = mountPoint }, progress, cancellationToken);
            if (reply is { Ok: false } && request.Command == "status")
            {
                return null;
            }
        }

        return reply;
    }

    /// <summary>The status of one mount, or of every mount this user can reach (Windows: the service's too).</summary>
    private static async Task<List<MountStatus>> StatusesAsync(string? mountPoint, CancellationToken cancellationToken)
    {
        if (mountPoint is not null)
        {
            return await AskMountAsync(mountPoint, new ControlRequest("status"), null, cancellationToken) is { Status: { } one } ? [one] : [];
        }

        var replies = new List<MountStatus>();
        foreach (var endpoint in ControlEndpoint.AllMounts())
        {
            if (await endpoint.AskAsync(new ControlRequest("status"), null, cancellationToken) is { Status: { } status })
            {
                replies.Add(status);
            }
        }

        if (await ControlEndpoint.Service.AskAsync(new ControlRequest("list"), null, cancellationToken) is { Mounts: { } served })
        {
            replies.AddRange(served);
        }

        return replies;
    }
}
