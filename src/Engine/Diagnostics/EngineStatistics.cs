using BucketMount.Backends;

namespace BucketMount.Engine.Diagnostics;

/// <summary>A snapshot of what the engine is doing: requests, bytes, caches, dirty files, uploads, last errors.</summary>
public sealed record EngineStatistics
{
    public required StoreCountersSnapshot Store { get; init; }

    public long MemoryCacheBytes { get; init; }

    /// <summary>
    /// What the memory cache's budget bounds: cached blocks, blocks being fetched into it, and spare blocks it keeps
    /// for reuse.
    /// </summary>
    public long MemoryCacheHeldBytes { get; init; }

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

    /// <summary>
    /// Bytes in each part of the managed heap after the last collection: generations 0, 1 and 2, the large-object heap
    /// (arrays of 85,000 bytes and more: the 1 MiB cache blocks, pooled copy buffers) and the pinned-object heap; what
    /// a breakdown of the mount's memory needs (garbage waiting in generation 2 or the large-object heap for a full
    /// collection shows there, not in the live cache).
    /// </summary>
    public IReadOnlyList<long> GcGenerationBytes { get; init; } = [];

    public IReadOnlyList<string> LastErrors { get; init; } = [];
}
