using BucketMount.Tray.Model;

namespace BucketMount.Tray;

/// <summary>
/// Polls off the UI thread: every <paramref name="interval"/>, or at once when asked (after a menu command), hands a
/// snapshot to <paramref name="publish"/> (which posts it to the window). Nothing it meets ends the loop: a service that
/// is absent or restarting is a snapshot that says so, and the next poll tries again.
/// </summary>
internal sealed class TrayPoller(Func<CancellationToken, Task<TraySnapshot>> poll, Action<TraySnapshot> publish, TimeSpan interval)
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(2);

    private readonly SemaphoreSlim _wake = new(0, 1);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TraySnapshot snapshot;
            try
            {
                snapshot = await poll(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception)
            {
                // Whatever one poll met (a half-written reply, a pipe torn down mid-read), the tray shows "not running"
                // and asks again: it must outlive the service.
                snapshot = new TraySnapshot(false, []);
            }

            publish(snapshot);
            try
            {
                await _wake.WaitAsync(interval, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Polls now instead of at the next tick (a second request before it runs is the same one).</summary>
    public void PollNow()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
        }
    }
}
