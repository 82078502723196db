using System.Diagnostics;
using BucketMount.Fuse.Interop;

namespace BucketMount.Fuse;

/// <summary>The kernel interrupted the request (its caller got a signal, SIGKILL included): answered with EINTR.</summary>
internal sealed class RequestInterruptedException() : Exception("the request was interrupted by a signal.");

/// <summary>
/// The blocking wait of a callback that only reads, watching for FUSE_INTERRUPT. Once the kernel has handed a
/// request to us, a caller killed with SIGKILL waits in uninterruptible sleep until we answer; with a store that
/// accepts connections but never answers that was minutes (each try bounded, several tries). So the wait runs in
/// slices and asks libfuse (fuse_interrupted, valid on the callback's own thread) whether the request was
/// interrupted; then it answers EINTR at once, and the killed process goes away. The engine's work is cancelled
/// through the token and, where it writes into memory libfuse owns, awaited before answering.
/// </summary>
internal static class InterruptibleWait
{
    private static readonly TimeSpan Slice = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Waits for <paramref name="start"/>'s task. On interrupt (when <paramref name="interruptible"/>) or timeout:
    /// cancels it; when <paramref name="awaitAfterCancel"/> waits for it to stop (it writes into a lent buffer),
    /// else leaves it to finish alone and hands a late result to <paramref name="abandoned"/> (to release a handle
    /// nobody will use: the caller was told the call failed and will never close it).
    /// </summary>
    public static T Run<T>(Func<CancellationToken, Task<T>> start, TimeSpan timeout, bool awaitAfterCancel = false, Action<T>? abandoned = null, bool interruptible = true)
    {
        using var cancel = new CancellationTokenSource();
        var task = start(cancel.Token);
        var began = Stopwatch.GetTimestamp();
        while (!Finished(task, Slice))
        {
            if (interruptible && Interrupted())
            {
                GiveUp(task, cancel, timeout, awaitAfterCancel, abandoned);
                throw new RequestInterruptedException();
            }

            if (Stopwatch.GetElapsedTime(began) > timeout)
            {
                GiveUp(task, cancel, timeout, awaitAfterCancel, abandoned);
                throw new TimeoutException($"the operation did not finish within {timeout.TotalSeconds:0} s.");
            }
        }

        return task.GetAwaiter().GetResult();
    }

    private static void GiveUp<T>(Task<T> task, CancellationTokenSource cancel, TimeSpan timeout, bool awaitAfterCancel, Action<T>? abandoned)
    {
        cancel.Cancel();
        if (awaitAfterCancel)
        {
            Finished(task, timeout);
        }
        else if (abandoned is not null)
        {
            _ = task.ContinueWith(t => abandoned(t.Result), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        }
    }

    private static bool Finished(Task task, TimeSpan wait)
    {
        try
        {
            return task.Wait(wait);
        }
        catch (AggregateException)
        {
            return true; // Faulted or cancelled: the caller's GetResult rethrows the original error.
        }
    }

    private static unsafe bool Interrupted() => FuseNative.FuseInterrupted() != 0;
}
