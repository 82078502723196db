using BucketMount.Backends;

namespace BucketMount.Engine.Diagnostics;

/// <summary>A snapshot of what the engine is doing: requests, bytes, caches, dirty files, uploads, last errors.</summary>
public sealed record EngineStatistics
{
    public required StoreCountersSnapshot Store { get; init; }

    public long MemoryCacheBytes { get; init; }

    public long MemoryCacheBudget { get; init; }

    public long MemoryCacheHits { get; init; }

    public long MemoryCacheMisses { get; init; }

    /// <summary>Blocks the memory cache filled again after evicting them, instead of allocating new ones.</summary>
    public long MemoryBlocksRecycled { get; init; }

    /// <summary>Small files fetched ahead of a program reading a directory's files in order (each one GET, serving its read).</summary>
    public long FilesFetchedAhead { get; init; }

    public long DiskCacheBytes { get; init; }

    public long DiskCacheBudget { get; init; }

    public int OpenFiles { get; init; }

    /// <summary>Files the engine keeps state for: open, dirty, uploading or being renamed; the rest are plain objects.</summary>
    public int RegisteredFiles { get; init; }

    public int DirtyFiles { get; init; }

    public long DirtyBytes { get; init; }

    public int PendingUploads { get; init; }

    public int FailingUploads { get; init; }

    public long UploadsDone { get; init; }

    public long UploadFailures { get; init; }

    /// <summary>Uploads completed from parts sent while the file was written (the rest went after close).</summary>
    public long StreamedUploads { get; init; }

    /// <summary>Uploads in parts a crash had interrupted whose parts this mount discarded at start.</summary>
    public long LeftoverUploadsDiscarded { get; init; }

    public long Conflicts { get; init; }

    /// <summary>Bytes of live managed objects after the last garbage collection (cache blocks included).</summary>
    public long GcHeapBytes { get; init; }

    /// <summary>Memory the garbage collector holds from the system (heap, free space it keeps, bookkeeping).</summary>
    public long GcCommittedBytes { get; init; }

    /// <summary>Free space inside the managed heap after the last collection, not returned to the system.</summary>
    public long GcFragmentedBytes { get; init; }

    public IReadOnlyList<string> LastErrors { get; init; } = [];
}
