namespace BucketMount.Engine;

/// <summary>What to do when a file we upload was changed in the store by someone else since we opened it.</summary>
public enum ConflictPolicy
{
    /// <summary>Our version replaces theirs; a warning is logged (rclone's and s3fs's behaviour).</summary>
    LastWriterWins,

    /// <summary>Theirs stays; ours is uploaded beside it as "name.conflict-YYYYMMDD-HHMMSS[.ext]".</summary>
    KeepBoth,
}

/// <summary>
/// Every setting of the engine, with its default, validated once at start-up with a message naming the setting.
/// The same declaration feeds the CLI flags and the docs.
/// </summary>
public sealed record EngineOptions
{
    public const int MiB = 1024 * 1024;

    /// <summary>Where staging files, the block cache and the upload journal live. Must survive a crash to recover.</summary>
    public required string CacheDirectory { get; init; }

    /// <summary>Bytes of file data kept in memory (clean blocks).</summary>
    public long MemoryCacheBytes { get; init; } = 64L * MiB;

    /// <summary>Bytes of clean blocks kept on disk; dirty files are never evicted and count separately.</summary>
    public long DiskCacheBytes { get; init; } = 10L * 1024 * MiB;

    /// <summary>Default of <see cref="MaxDirtyBytes"/>, the one declaration the CLI option's default reads too.</summary>
    public const long DefaultMaxDirtyBytes = 50L * 1024 * MiB;

    /// <summary>The mount option that sets <see cref="MaxDirtyBytes"/> (in MiB), named by the "no space" it causes.</summary>
    public const string MaxDirtyOption = "--max-dirty-mib";

    /// <summary>
    /// Most bytes of dirty (not yet uploaded) data the cache holds before writers get "no space": a hard cap, even
    /// with many writers at once.
    /// </summary>
    public long MaxDirtyBytes { get; init; } = DefaultMaxDirtyBytes;

    /// <summary>Size of one ranged GET and one cache block.</summary>
    public int BlockSize { get; init; } = 1 * MiB;

    /// <summary>Largest read-ahead window of a sequential reader.</summary>
    public long MaxReadAhead { get; init; } = 64L * MiB;

    /// <summary>Ranged GETs in flight for one reader's read-ahead.</summary>
    public int ReadAheadParallelism { get; init; } = 8;

    /// <summary>
    /// Largest single ranged GET of read-ahead: a sequential reader's blocks are fetched this many at a time (the
    /// response is split into cache blocks as it streams in), so a 256 MiB file costs about 20 requests, not 256.
    /// </summary>
    public int ReadAheadRequestBytes { get; init; } = 16 * MiB;

    /// <summary>
    /// Feed a sequential reader from one open-ended GET paced by its read-ahead window (rclone's way: a whole file
    /// in one or two requests); false (the default) sends ranged GETs of <see cref="ReadAheadRequestBytes"/>, two
    /// at a time at first and more in parallel while that raises the reader's throughput (s3fs sends its ranges
    /// in parallel from the start), which gets more from a store that limits one connection or answers slowly.
    /// </summary>
    public bool StreamSequentialReads { get; init; }

    /// <summary>
    /// A file up to this size that one handle reads at random (four reads that missed the cache) is fetched whole
    /// by one streaming GET, as s3fs and rclone's full cache mode do; 0 turns it off. Larger files keep to one
    /// ranged GET per block read.
    /// </summary>
    public long WholeFileReadBytes { get; init; } = 256L * MiB;

    /// <summary>How long a directory listing or lookup is trusted before the store is asked again.</summary>
    public TimeSpan MetadataTtl { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Most directory listings and lookups kept in the metadata cache.</summary>
    public int MetadataCacheEntries { get; init; } = 100_000;

    /// <summary>
    /// Wait after the last close before uploading, so a save-rename-delete dance (milliseconds long) uploads once.
    /// Short, because until the upload the change lives only on this machine, and a sandbox can be destroyed.
    /// </summary>
    public TimeSpan WriteBackDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// 0 (the default): fsync returns once the file is in the store. Above 0: fsync returns once the file is durable
    /// in the local cache, and its upload starts within this long (a database committing often then costs one
    /// upload per window, not one per commit); see docs/SEMANTICS.md for what a sandbox that dies meanwhile loses.
    /// </summary>
    public TimeSpan SyncWindow { get; init; } = TimeSpan.Zero;

    /// <summary>Files larger than one part uploading at once (each with <see cref="UploadPartConcurrency"/> parts in flight).</summary>
    public int UploadConcurrency { get; init; } = 4;

    /// <summary>Files of one part (a single PUT) uploading at once, apart from the large ones.</summary>
    public int SmallUploadConcurrency { get; init; } = 16;

    /// <summary>Part size of large uploads.</summary>
    public long UploadPartSize { get; init; } = 8L * MiB;

    /// <summary>Parts of one upload in flight at once.</summary>
    public int UploadPartConcurrency { get; init; } = 4;

    /// <summary>
    /// Send a large file written from empty to its end in order part by part while it is written, instead of all
    /// of it after close (where the store can: S3). Its modification time then stays at the moment the first
    /// parts began (as S3's own Last-Modified of a multipart object does) unless set explicitly.
    /// </summary>
    public bool StreamUploads { get; init; } = true;

    public ConflictPolicy ConflictPolicy { get; init; } = ConflictPolicy.LastWriterWins;

    /// <summary>
    /// Kept for old command lines (--exact-mtimes): listings are now always exact (see docs/SEMANTICS.md, "Metadata
    /// index"), so this changes nothing.
    /// </summary>
    public bool ExactModificationTimes { get; init; }

    /// <summary>Write each directory's metadata index object (read wherever present either way); see docs/SEMANTICS.md.</summary>
    public bool WriteMetadataIndex { get; init; } = true;

    /// <summary>
    /// How long a directory's changes must rest before its metadata index is written (also at unmount): the index must
    /// be written in a later second than every version it describes, or a new mount does not trust those entries.
    /// </summary>
    public TimeSpan IndexSettle { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Look names up ignoring case, keeping the store's spelling (the Windows host); see docs/SEMANTICS.md.</summary>
    public bool CaseInsensitive { get; init; }

    /// <summary>Refuse every change.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>
    /// How many staging files (of open or unsaved files) may hold an open descriptor at once; the least recently
    /// used idle one is closed past that and reopened when needed. Internal: tests set it low.
    /// </summary>
    internal int StagingDescriptors { get; init; } = Writing.StagingDescriptors.DefaultCapacity;

    /// <summary>Total size reported by statfs / GetDiskFreeSpace (object stores have no real limit).</summary>
    public long VolumeSizeBytes { get; init; } = 1L << 50;

    /// <summary>Throws naming the first setting that is out of range.</summary>
    public void Validate()
    {
        Require(!string.IsNullOrWhiteSpace(CacheDirectory) && Path.IsPathFullyQualified(CacheDirectory), nameof(CacheDirectory), "must be an absolute path");
        Require(MemoryCacheBytes >= 4L * BlockSize, nameof(MemoryCacheBytes), "must hold at least four blocks");
        Require(DiskCacheBytes >= 0, nameof(DiskCacheBytes), "cannot be negative");
        Require(MaxDirtyBytes > 0, nameof(MaxDirtyBytes), "must be positive");
        Require(StagingDescriptors > 0, nameof(StagingDescriptors), "must be positive");
        Require(BlockSize is >= 64 * 1024 and <= 64 * MiB && (BlockSize & (BlockSize - 1)) == 0, nameof(BlockSize), "must be a power of two from 64 KiB to 64 MiB");
        Require(MaxReadAhead >= 0, nameof(MaxReadAhead), "cannot be negative");
        Require(ReadAheadParallelism is >= 1 and <= 64, nameof(ReadAheadParallelism), "must be 1 to 64");
        Require(ReadAheadRequestBytes >= BlockSize && ReadAheadRequestBytes % BlockSize == 0, nameof(ReadAheadRequestBytes), "must be a whole number of blocks");
        Require(WholeFileReadBytes >= 0, nameof(WholeFileReadBytes), "cannot be negative");
        Require(MetadataTtl >= TimeSpan.Zero, nameof(MetadataTtl), "cannot be negative");
        Require(MetadataCacheEntries >= 100, nameof(MetadataCacheEntries), "must be at least 100");
        Require(WriteBackDelay >= TimeSpan.Zero, nameof(WriteBackDelay), "cannot be negative");
        Require(SyncWindow >= TimeSpan.Zero && SyncWindow <= TimeSpan.FromHours(1), nameof(SyncWindow), "(--sync-window) must be 0 to 3600 seconds");
        Require(IndexSettle >= TimeSpan.Zero, nameof(IndexSettle), "cannot be negative");
        Require(UploadConcurrency is >= 1 and <= 64, nameof(UploadConcurrency), "must be 1 to 64");
        Require(SmallUploadConcurrency is >= 1 and <= 256, nameof(SmallUploadConcurrency), "must be 1 to 256");
        Require(UploadPartSize >= 5L * MiB, nameof(UploadPartSize), "must be at least 5 MiB (S3's minimum part)");
        Require(UploadPartConcurrency is >= 1 and <= 64, nameof(UploadPartConcurrency), "must be 1 to 64");
        Require(VolumeSizeBytes > 0, nameof(VolumeSizeBytes), "must be positive");
    }

    private static void Require(bool condition, string setting, string rule)
    {
        if (!condition)
        {
            throw new ArgumentException($"engine setting {setting} {rule}.", setting);
        }
    }
}
