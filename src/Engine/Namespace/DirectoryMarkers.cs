using BucketMount.Backends;
using Microsoft.Extensions.Logging;

namespace BucketMount.Engine.Namespace;

/// <summary>
/// Writes directories' own attributes (mode, owner, times) as the user metadata of their "dir/" marker objects, as
/// s3fs keeps them. A chmod, chown, utimens or mkdir writes the marker at once. A directory's modification time,
/// which moves on every create, delete or rename in it, is shown at once by the caller and written here in batches:
/// one PUT per changed directory per <c>delay</c> (and at <see cref="FlushAsync"/>, the drain), never one per entry.
/// Writes of one marker are serialised, and a directory removed or renamed away drops its pending write first, so a
/// late batch never brings back the marker of a directory that is gone.
/// </summary>
internal sealed class DirectoryMarkers(IObjectStore store, MetadataCache cache, TimeSpan delay, ILogger logger) : IDisposable
{
    private const int LockStripes = 32;
    private readonly SemaphoreSlim[] _locks = [.. Enumerable.Range(0, LockStripes).Select(_ => new SemaphoreSlim(1, 1))];
    private readonly Dictionary<string, KnownAttributes> _pending = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private bool _scheduled;
    private bool _disposed;

    /// <summary>Marker writes waiting for the next batch.</summary>
    public int PendingCount
    {
        get
        {
            lock (_pending)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Writes the marker <paramref name="markerKey"/> now with <paramref name="attributes"/> (a pending batch write of it is included).</summary>
    public async Task<ObjectInfo> WriteAsync(string markerKey, KnownAttributes attributes, CancellationToken cancellationToken)
    {
        var gate = LockOf(markerKey);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_pending)
            {
                _pending.Remove(markerKey);
            }

            return await PutLockedAsync(markerKey, attributes, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Records new attributes (a changed time) to write with the next batch.</summary>
    public void WriteLater(string markerKey, KnownAttributes attributes)
    {
        bool schedule;
        lock (_pending)
        {
            if (_disposed)
            {
                return; // After the drain: nothing is written any more.
            }

            _pending[markerKey] = attributes;
            schedule = !_scheduled;
            _scheduled = true;
        }

        if (schedule)
        {
            _ = FlushAfterDelayAsync();
        }
    }

    /// <summary>
    /// Runs <paramref name="remove"/> (which deletes or moves the marker) with its pending write dropped and no write
    /// of it in flight; <paramref name="flushFirst"/> writes the pending attributes before (a rename copies them).
    /// </summary>
    public async Task RunExclusiveAsync(string markerKey, bool flushFirst, Func<Task> remove, CancellationToken cancellationToken)
    {
        var gate = LockOf(markerKey);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            KnownAttributes? pending;
            lock (_pending)
            {
                _pending.Remove(markerKey, out pending);
            }

            if (flushFirst && pending is not null)
            {
                await PutLockedAsync(markerKey, pending, cancellationToken).ConfigureAwait(false);
            }

            await remove().ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Writes every pending marker below <paramref name="prefix"/> now (before a directory rename copies them).</summary>
    public Task FlushBelowAsync(string prefix, CancellationToken cancellationToken) =>
        FlushAsync(key => key.StartsWith(prefix, StringComparison.Ordinal), cancellationToken);

    /// <summary>Writes every pending marker now (the drain before unmount). A marker the store refuses is logged and kept for the next batch.</summary>
    public Task FlushAsync(CancellationToken cancellationToken) => FlushAsync(_ => true, cancellationToken);

    public void Dispose()
    {
        lock (_pending)
        {
            _disposed = true;
        }

        // Not disposed itself: a batch still waiting holds its token, and is only cancelled.
        _stopping.Cancel();
    }

    private async Task FlushAfterDelayAsync()
    {
        try
        {
            await Task.Delay(delay, _stopping.Token).ConfigureAwait(false);
            lock (_pending)
            {
                _scheduled = false;
            }

            await FlushAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping: the drain wrote what it could.
        }
        catch (Exception e) when (e is ObjectStoreException or IOException or InvalidOperationException)
        {
            // Kept pending; the next change or the drain tries again. Nothing may escape a background task unobserved.
            logger.LogWarning("A directory's changed time could not be stored yet ({Reason}); it is tried again with the next change or at unmount.", e.Message);
        }
    }

    private async Task FlushAsync(Func<string, bool> which, CancellationToken cancellationToken)
    {
        List<string> keys;
        lock (_pending)
        {
            keys = _pending.Keys.Where(which).ToList();
        }

        ObjectStoreException? failure = null;
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (key, ct) =>
        {
            var gate = LockOf(key);
            await gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                KnownAttributes? attributes;
                lock (_pending)
                {
                    // Gone when written or removed meanwhile: nothing to do.
                    if (!_pending.Remove(key, out attributes))
                    {
                        return;
                    }
                }

                try
                {
                    await PutLockedAsync(key, attributes, ct).ConfigureAwait(false);
                }
                catch (ObjectStoreException e)
                {
                    lock (_pending)
                    {
                        _pending.TryAdd(key, attributes);
                    }

                    failure = e;
                }
            }
            finally
            {
                gate.Release();
            }
        }).ConfigureAwait(false);

        if (failure is not null)
        {
            throw failure;
        }
    }

    private async Task<ObjectInfo> PutLockedAsync(string markerKey, KnownAttributes attributes, CancellationToken cancellationToken)
    {
        var info = await store.PutAsync(markerKey, Stream.Null, new PutOptions { Metadata = ObjectMetadata.Build(attributes) }, cancellationToken).ConfigureAwait(false);
        cache.SetAttributes(markerKey, info.ETag, attributes);
        lock (_pending)
        {
            if (_pending.TryGetValue(markerKey, out var newer))
            {
                // Changed again while this write was on its way: what shows stays the newer time, written next batch.
                cache.SetDirectoryAttributes(markerKey, newer);
            }
        }

        return info;
    }

    private SemaphoreSlim LockOf(string markerKey) => _locks[(StringComparer.Ordinal.GetHashCode(markerKey) & int.MaxValue) % LockStripes];
}
