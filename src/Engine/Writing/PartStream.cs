using BucketMount.Backends;

namespace BucketMount.Engine.Writing;

/// <summary>
/// The upload of a file written from empty to its end in order, sent part by part while it is being written, so
/// that at close only the last part and the completion remain (a large file's write-back used to begin at close).
/// Every part holds bytes below the file's size when it was queued, and only appends followed, so a part never
/// changes once queued; anything else (a write elsewhere, a truncate) abandons the stream and the file is uploaded
/// whole, as before. Nothing is visible in the store before <see cref="FinishAsync"/> completes it.
/// </summary>
internal sealed class PartStream
{
    private readonly Task<IPartUpload?> _begin;
    private readonly PartUploadLedger _ledger;
    private readonly long _partSize;
    private readonly SemaphoreSlim _slots;
    private readonly CancellationTokenSource _cancel = new();
    private readonly List<Task> _parts = [];
    private readonly Lock _gate = new();
    private long _queuedEnd;
    private bool _ended;
    private long? _ticket;

    public PartStream(IObjectStore store, string key, PutOptions options, long partSize, int concurrency, PartUploadLedger ledger)
    {
        Key = key;
        Options = options;
        _partSize = partSize;
        _ledger = ledger;
        _slots = new SemaphoreSlim(concurrency, concurrency);
        // Off the writer's thread too, and a store that throws before its first await fails this task, not the write.
        // Never cancelled: an upload the store began must be known, so that abandoning the stream can abort it.
        _begin = Task.Run(() => BeginAsync(store));
    }

    /// <summary>The key the object will have; a file renamed meanwhile needs another upload.</summary>
    public string Key { get; }

    /// <summary>The metadata and conditions the upload began with; fixed by the store from then on.</summary>
    public PutOptions Options { get; }

    /// <summary>Queues every whole part below <paramref name="size"/>. Called after an append, under the file's content lock.</summary>
    public void Offer(StagingFile staging, long size)
    {
        lock (_gate)
        {
            while (!_ended && _queuedEnd + _partSize <= size)
            {
                QueueLocked(staging, _partSize);
            }
        }
    }

    /// <summary>
    /// Sends the rest up to <paramref name="size"/>, waits for every part, calls <paramref name="beforeCommit"/>
    /// (which may throw to stop) and completes the object. Throws when any part failed; the caller then abandons
    /// the stream and uploads the file whole.
    /// </summary>
    public async Task<ObjectInfo> FinishAsync(StagingFile staging, long size, Action beforeCommit, CancellationToken cancellationToken)
    {
        Task[] parts;
        lock (_gate)
        {
            if (_ended || size < _queuedEnd)
            {
                throw new InvalidOperationException($"the part upload of {Key} cannot finish at {size} bytes ({_queuedEnd} queued).");
            }

            if (size > _queuedEnd)
            {
                QueueLocked(staging, size - _queuedEnd);
            }

            _ended = true;
            parts = [.. _parts];
        }

        var upload = await _begin.WaitAsync(cancellationToken).ConfigureAwait(false) ?? throw NoPartUploads();
        await Task.WhenAll(parts).WaitAsync(cancellationToken).ConfigureAwait(false);
        beforeCommit();
        var info = await upload.CompleteAsync(size, cancellationToken).ConfigureAwait(false);
        _ledger.Ended(_ticket);
        return info;
    }

    /// <summary>Stops sending and discards what was sent (in the background; best effort, like any abort).</summary>
    public void Abandon()
    {
        Task[] parts;
        lock (_gate)
        {
            _ended = true;
            parts = [.. _parts];
        }

        _cancel.Cancel();
        _ = DiscardAsync(parts);
    }

    private async Task DiscardAsync(Task[] parts)
    {
        try
        {
            await Task.WhenAll(parts).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Cancelled or failed: either way the part is over, which is all the abort needs.
        }

        try
        {
            if (await _begin.ConfigureAwait(false) is { } upload)
            {
                await upload.AbortAsync(CancellationToken.None).ConfigureAwait(false);
                _ledger.Ended(_ticket);
            }
        }
        catch (Exception)
        {
            // The upload never began, or the store keeps forgotten parts until its own cleanup (S3 lifecycle rules).
        }
    }

    /// <summary>Begins the upload and records it before any part can be sent (parts wait for this task).</summary>
    private async Task<IPartUpload?> BeginAsync(IObjectStore store)
    {
        var upload = await store.BeginPartUploadAsync(Key, Options, CancellationToken.None).ConfigureAwait(false);
        if (upload is not null)
        {
            _ticket = _ledger.Began(Key, upload.UploadId);
        }

        return upload;
    }

    private void QueueLocked(StagingFile staging, long length)
    {
        var number = _parts.Count + 1;
        var offset = _queuedEnd;
        _queuedEnd += length;
        var source = staging.Source(_queuedEnd);
        // Off the writer's thread: a store may read and hash the whole part before the first await (the S3 SDK
        // signs a body that way).
        _parts.Add(Task.Run(() => SendAsync(number, source, offset, length)));
    }

    private async Task SendAsync(int number, IUploadSource source, long offset, long length)
    {
        var upload = await _begin.ConfigureAwait(false) ?? throw NoPartUploads();
        await _slots.WaitAsync(_cancel.Token).ConfigureAwait(false);
        try
        {
            await upload.UploadPartAsync(number, source, offset, length, _cancel.Token).ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
        }
    }

    private InvalidOperationException NoPartUploads() => new($"the store cannot upload {Key} in parts.");
}
