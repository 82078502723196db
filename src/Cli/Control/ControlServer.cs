using BucketMount.Cli.Mounting;

namespace BucketMount.Cli.Control;

/// <summary>
/// Serves a control channel: accepts connections from a listener (Unix socket or named pipe) and answers each with
/// <see cref="ControlProtocol"/> on behalf of a target (one CLI mount, or the Windows service's mounts).
/// </summary>
internal sealed class ControlServer : IDisposable
{
    private readonly IControlListener _listener;
    private readonly IControlTarget _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _serving = [];
    private readonly Task _accepting;

    public ControlServer(IControlListener listener, IControlTarget target)
    {
        _listener = listener;
        _target = target;
        _accepting = AcceptLoopAsync();
    }

    /// <summary>
    /// Starts the channel of a CLI mount; null (with a warning) where the system offers none: the mount works,
    /// only `status` and `unmount` cannot reach it (Ctrl+C still unmounts).
    /// </summary>
    public static ControlServer? TryStart(string mountPoint, MountSession session)
    {
        try
        {
            return new ControlServer(ControlEndpoint.ForMount(mountPoint).Listen(), new SessionControlTarget(session));
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            Console.Error.WriteLine($"bucketmount: no control channel ({e.Message}), so `bucketmount status` and `unmount` cannot reach this mount; Ctrl+C unmounts it.");
            return null;
        }
    }

    public void Dispose()
    {
        // Let replies in flight (an unmount's answer) reach their clients first.
        Task[] serving;
        lock (_serving)
        {
            serving = [.. _serving];
        }

        Task.WaitAll(serving, TimeSpan.FromSeconds(5));
        _stop.Cancel();
        _listener.Dispose();
        _accepting.Wait(TimeSpan.FromSeconds(5));
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Stream client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or System.Net.Sockets.SocketException or ObjectDisposedException or IOException or UnauthorizedAccessException)
            {
                if (_stop.IsCancellationRequested || e is ObjectDisposedException)
                {
                    return;
                }

                // A client that vanished mid-connect must not end the channel; a pause keeps a failing system from spinning.
                await Task.Delay(TimeSpan.FromMilliseconds(200)).ConfigureAwait(false);
                continue;
            }

            lock (_serving)
            {
                _serving.RemoveAll(t => t.IsCompleted);
                _serving.Add(ServeAsync(client));
            }
        }
    }

    private async Task ServeAsync(Stream client)
    {
        await using (client)
        {
            try
            {
                await ControlProtocol.ServeAsync(client, _target, _stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}
