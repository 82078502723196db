using BucketMount.Cli.Control;
using BucketMount.Tray.Model;

namespace BucketMount.Tray;

/// <summary>
/// The tray's side of the control channel, through the CLI's own client (<see cref="ControlEndpoint"/>): the
/// service's pipe, which every user's tray shares (`\\.\pipe\bucketmount`, open to the interactive user), and the
/// pipes of this user's own `bucketmount mount` processes (`bucketmount-&lt;hash&gt;`, where Windows can list them).
/// </summary>
internal sealed class TrayChannel(ControlEndpoint service, Func<IReadOnlyList<ControlEndpoint>> ownMounts, Func<string, ControlEndpoint> ownMount)
{
    /// <summary>A service that accepted the connection but does not answer counts as not running.</summary>
    private static readonly TimeSpan AnswerLimit = TimeSpan.FromSeconds(10);

    public static TrayChannel Default { get; } = new(ControlEndpoint.Service, ControlEndpoint.AllMounts, ControlEndpoint.ForMount);

    /// <summary>Asks every process for its mounts. An unreachable or broken service gives ServiceReachable false, never an exception.</summary>
    public async Task<TraySnapshot> PollAsync(CancellationToken cancellationToken)
    {
        var mounts = new List<TrayMount>();
        var served = await AskAsync(service, new ControlRequest("list"), cancellationToken);
        mounts.AddRange((served?.Mounts ?? []).Select(m => new TrayMount(m, ByService: true)));
        foreach (var endpoint in OwnMounts())
        {
            if (await AskAsync(endpoint, new ControlRequest("status"), cancellationToken) is { Status: { } status })
            {
                mounts.Add(new TrayMount(status, ByService: false));
            }
        }

        return new TraySnapshot(served is { Ok: true }, mounts);
    }

    /// <summary>Runs a command that goes to a process (not Open or Quit); returns its answer, or why there is none.</summary>
    public async Task<ControlReply> RunAsync(TrayCommand command, CancellationToken cancellationToken)
    {
        switch (command)
        {
            case TrayCommand.PauseUploads pause:
                // Every process: the service's mounts and this user's own.
                var request = new ControlRequest(pause.Pause ? "pause" : "resume");
                var replies = new List<ControlReply?> { await AskAsync(service, request, cancellationToken) };
                foreach (var endpoint in OwnMounts())
                {
                    replies.Add(await AskAsync(endpoint, request, cancellationToken));
                }

                var failed = replies.OfType<ControlReply>().FirstOrDefault(r => !r.Ok);
                return failed ?? replies.OfType<ControlReply>().FirstOrDefault() ?? NotRunning;
            case TrayCommand.Mount mount:
                return await AskAsync(service, new ControlRequest("mount", Mount: mount.Name), cancellationToken) ?? NotRunning;
            case TrayCommand.Unmount { ByService: true } unmount:
                return await AskAsync(service, new ControlRequest("unmount", Mount: unmount.MountPoint), cancellationToken) ?? NotRunning;
            case TrayCommand.Unmount unmount:
                return await AskAsync(ownMount(unmount.MountPoint), new ControlRequest("unmount"), cancellationToken)
                    ?? new ControlReply(false, $"no running mount at {unmount.MountPoint}.");
            default:
                throw new ArgumentException("not a command for the control channel: " + command, nameof(command));
        }
    }

    private static ControlReply NotRunning { get; } = new(false, "the bucketmount service is not running.");

    private IReadOnlyList<ControlEndpoint> OwnMounts()
    {
        try
        {
            return ownMounts();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>
    /// One request, bounded for the answer of status and pause (unmount waits for its uploads as long as they take).
    /// A process that goes away mid-answer (the service restarting) gives null, like one that is not there.
    /// </summary>
    private static async Task<ControlReply?> AskAsync(ControlEndpoint endpoint, ControlRequest request, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (request.Command is "list" or "status" or "pause" or "resume")
        {
            limit.CancelAfter(AnswerLimit);
        }

        try
        {
            return await endpoint.AskAsync(request, null, limit.Token);
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or ObjectDisposedException or UnauthorizedAccessException
            || e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }
}
