namespace BucketMount.Engine.Diagnostics;

/// <summary>Progress of pending uploads, for the unmount progress line.</summary>
public sealed record UploadProgress(int FilesPending, long BytesPending, long FilesUploaded, long BytesUploaded)
{
    /// <summary>The store did not answer the last requests (network cut, outage, timeouts): uploads are being retried until it does.</summary>
    public bool StoreUnreachable { get; init; }

    /// <summary>Why the store is unreachable, or the last upload failure; null when nothing failed.</summary>
    public string? LastError { get; init; }
}

/// <summary>Engine-level counters (atomics) and the last errors, feeding <see cref="EngineStatistics"/>.</summary>
internal sealed class EngineCounters
{
    private const int MaxErrors = 20;
    private readonly Queue<string> _lastErrors = new();
    private long _dirtyBytes;
    private long _peakDirtyBytes;
    private long _uploadsScheduled;
    private long _uploadsSucceeded;
    private long _bytesUploaded;
    private long _uploadsFailed;
    private long _conflicts;
    private long _streamedUploads;
    private long _leftoverUploadsDiscarded;

    public long DirtyBytes => Interlocked.Read(ref _dirtyBytes);

    public long UploadsSucceeded => Interlocked.Read(ref _uploadsSucceeded);

    public long UploadsFailed => Interlocked.Read(ref _uploadsFailed);

    public long UploadsScheduledCount => Interlocked.Read(ref _uploadsScheduled);

    public long Conflicts => Interlocked.Read(ref _conflicts);

    public long StreamedUploads => Interlocked.Read(ref _streamedUploads);

    public long LeftoverUploadsDiscarded => Interlocked.Read(ref _leftoverUploadsDiscarded);

    public long BytesUploadedByWriteBack => Interlocked.Read(ref _bytesUploaded);

    /// <summary>The most dirty bytes counted at any moment since start: what a budget test checks against the limit.</summary>
    public long PeakDirtyBytes => Interlocked.Read(ref _peakDirtyBytes);

    public void AddDirty(long bytes) => NotePeak(Interlocked.Add(ref _dirtyBytes, bytes));

    /// <summary>
    /// Counts <paramref name="bytes"/> more dirty bytes if that keeps the total at most <paramref name="limit"/>, in
    /// one compare-and-swap: writers that checked the total first and added later could all pass the check together
    /// and overshoot the limit (a probe saw it in 7 of 10 rounds). False, and nothing counted, when it would not fit.
    /// </summary>
    public bool TryReserveDirty(long bytes, long limit)
    {
        var current = Interlocked.Read(ref _dirtyBytes);
        while (true)
        {
            if (current + bytes > limit)
            {
                return false;
            }

            var seen = Interlocked.CompareExchange(ref _dirtyBytes, current + bytes, current);
            if (seen == current)
            {
                NotePeak(current + bytes);
                return true;
            }

            current = seen;
        }
    }

    public void UploadScheduled() => Interlocked.Increment(ref _uploadsScheduled);

    public void UploadSucceeded(long bytes)
    {
        Interlocked.Increment(ref _uploadsSucceeded);
        Interlocked.Add(ref _bytesUploaded, bytes);
    }

    /// <summary>Records a failed upload; returns how many uploads have failed so far (for back-off).</summary>
    public int UploadFailed(string path, string reason)
    {
        RecordError($"upload of {path} failed: {reason}");
        return (int)Math.Min(int.MaxValue, Interlocked.Increment(ref _uploadsFailed));
    }

    public void Conflict() => Interlocked.Increment(ref _conflicts);

    public void StreamedUpload() => Interlocked.Increment(ref _streamedUploads);

    public void LeftoverUploadDiscarded() => Interlocked.Increment(ref _leftoverUploadsDiscarded);

    private void NotePeak(long total)
    {
        var peak = Interlocked.Read(ref _peakDirtyBytes);
        while (total > peak)
        {
            var seen = Interlocked.CompareExchange(ref _peakDirtyBytes, total, peak);
            if (seen == peak)
            {
                return;
            }

            peak = seen;
        }
    }

    public void RecordError(string error)
    {
        lock (_lastErrors)
        {
            _lastErrors.Enqueue($"{DateTimeOffset.UtcNow:u} {error}");
            while (_lastErrors.Count > MaxErrors)
            {
                _lastErrors.Dequeue();
            }
        }
    }

    public IReadOnlyList<string> LastErrors()
    {
        lock (_lastErrors)
        {
            return [.. _lastErrors];
        }
    }

    public UploadProgress Progress(int filesPending, long bytesPending) =>
        new(filesPending, bytesPending, UploadsSucceeded, BytesUploadedByWriteBack);
}
