namespace BucketMount.Engine.Files;

/// <summary>
/// Pausing uploads (the tray's "pause uploads", e.g. on a metered connection): uploads not yet started wait at the
/// gate, still durable in the journal; those already sending finish. A drain (flush, unmount, service stop) asks
/// for every upload now, so it opens the gate first: pausing never keeps data from the store at shutdown.
/// </summary>
internal sealed partial class WriteBack
{
    private readonly object _pauseLock = new();
    private TaskCompletionSource? _paused;
    private int _heldByPause;

    public bool UploadsPaused
    {
        get
        {
            lock (_pauseLock)
            {
                return _paused is not null;
            }
        }
    }

    /// <summary>Uploads waiting at the gate now (for status and tests).</summary>
    public int UploadsHeldByPause => Volatile.Read(ref _heldByPause);

    public void PauseUploads()
    {
        lock (_pauseLock)
        {
            _paused ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public void ResumeUploads()
    {
        TaskCompletionSource? gate;
        lock (_pauseLock)
        {
            gate = _paused;
            _paused = null;
        }

        gate?.TrySetResult();
    }

    /// <summary>
    /// Takes the file's content lock for an upload. An fsync's deadline upload keeps that lock until it has started
    /// (see RunAsync), so it waits out a pause before taking it, and lets it go again if a pause began meanwhile:
    /// while uploads are paused the file's writers go on, and the upload later sends the file as it is then.
    /// </summary>
    private async Task LockContentOutsidePauseAsync(OpenFile file, UploadTicket ticket, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (ticket.ForDeadline)
            {
                await WaitWhilePausedAsync(cancellationToken).ConfigureAwait(false);
            }

            await file.ContentLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (!ticket.ForDeadline || !UploadsPaused)
            {
                return;
            }

            file.ContentLock.Release();
        }
    }

    private async Task WaitWhilePausedAsync(CancellationToken cancellationToken)
    {
        Task gate;
        lock (_pauseLock)
        {
            if (_paused is null)
            {
                return;
            }

            gate = _paused.Task;
        }

        Interlocked.Increment(ref _heldByPause);
        try
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _heldByPause);
        }
    }
}
