using BucketMount.Backends;
using BucketMount.Engine.Caching;
using BucketMount.Engine.Diagnostics;
using BucketMount.Engine.Files;
using BucketMount.Engine.Namespace;
using BucketMount.Engine.Namespace.Index;
using BucketMount.Engine.Reading;
using BucketMount.Engine.Writing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BucketMount.Engine;

/// <summary>
/// The filesystem over an object store: the one facade both hosts (FUSE, Dokan) call, with paths like "/dir/file".
/// It knows nothing of either host. Every failure is a <see cref="FileSystemException"/> with an <see cref="FsError"/>.
/// See docs/SEMANTICS.md for what each operation means over an object store.
/// </summary>
public sealed partial class MountEngine : IAsyncDisposable
{
    private readonly IObjectStore _store;
    private readonly EngineOptions _options;
    private readonly ILogger _logger;
    private readonly KeyMapper _keys;
    private readonly MetadataCache _cache;
    private readonly NamespaceReader _namespace;
    private readonly FileRegistry _registry = new();
    private readonly MemoryBlockCache _memoryBlocks;
    private readonly DiskBlockCache _diskBlocks;
    private readonly ObjectReader _reader;

    // Null over a local folder, where a read costs no round trip to hide.
    private readonly SiblingPrefetch? _siblings;
    private readonly WriteBack _writeBack;
    private readonly DirectoryMarkers _directories;
    private readonly DirectoryIndexes _indexes;
    private readonly IndexWriter _indexWriter;
    private readonly EngineCounters _counters = new();
    private readonly StoreHealth _health;
    private readonly FileStream _cacheLock;
    private readonly string _stagingFolder;
    private readonly StagingDescriptors _stagingDescriptors;
    private int _disposed;

    /// <summary>
    /// A new handle's sequential-read detector. With parallel ranged GETs its window may reach the whole memory
    /// cache (four runs of 16 MiB in flight with the defaults); blocks read ahead that memory could not keep are
    /// read back from the disk cache, never fetched again. A streaming reader's window is its pace: a quarter is
    /// enough.
    /// </summary>
    internal ReadAheadState NewReadAheadState() =>
        new(2L * _options.BlockSize, Math.Min(_options.MaxReadAhead, _options.MemoryCacheBytes / (_options.StreamSequentialReads ? 4 : 1)));

    private MountEngine(IObjectStore store, EngineOptions options, NamePlatform platform, ILogger logger, FileStream cacheLock,
        Action<Microsoft.Win32.SafeHandles.SafeFileHandle>? journalFlush)
    {
        _store = store;
        _options = options;
        _logger = logger;
        _cacheLock = cacheLock;
        _keys = new KeyMapper(new NameEncoding(platform), store.Capabilities.BackslashInKeys, store.Capabilities.MaxKeyBytes);
        _cache = new MetadataCache(options.MetadataTtl, options.MetadataCacheEntries);
        _health = new StoreHealth(store, logger);
        _memoryBlocks = new MemoryBlockCache(options.MemoryCacheBytes, options.BlockSize);
        var diskBudget = store.Capabilities.OnLocalDisk ? 0 : options.DiskCacheBytes;
        _diskBlocks = new DiskBlockCache(Path.Combine(options.CacheDirectory, "blocks"), options.BlockSize, diskBudget);
        var fetcher = new BlockFetcher(store, _memoryBlocks, _diskBlocks, options.BlockSize);
        _reader = new ObjectReader(fetcher, options.ReadAheadParallelism, options.ReadAheadRequestBytes / options.BlockSize, options.StreamSequentialReads,
            store.Capabilities.OnLocalDisk ? 0 : options.WholeFileReadBytes);
        _siblings = store.Capabilities.OnLocalDisk ? null : NewSiblingPrefetch(fetcher);
        _indexes = new DirectoryIndexes(store, readOnly: options.ReadOnly || !options.WriteMetadataIndex);
        _indexWriter = new IndexWriter(store, _indexes, options.WriteBackDelay, options.IndexSettle, logger);
        _cache.AttributesStored = (key, etag, attributes) =>
        {
            var entry = new IndexEntry(key.EndsWith('/'), etag, null, null, ObjectMetadata.Build(attributes));
            _indexes.Learn(key, entry);
            _indexes.LearnOwnMarker(key, entry);
        };
        _cache.LinkTargetLearnt = _indexes.LearnLinkTarget;

        // Over a local folder a read costs nothing to defer, so lookups there keep to plain HEADs.
        _namespace = new NamespaceReader(store, _keys, _cache, store.Capabilities.OnLocalDisk ? null : fetcher.KeepWhole, _health, _indexes);
        _stagingFolder = Path.Combine(options.CacheDirectory, "staging");
        _stagingDescriptors = new StagingDescriptors(options.StagingDescriptors);
        Directory.CreateDirectory(_stagingFolder);
        var journalFolder = Path.Combine(options.CacheDirectory, "journal");
        var journal = journalFlush is null ? new UploadJournal(journalFolder) : new UploadJournal(journalFolder, journalFlush);
        _directories = new DirectoryMarkers(store, _cache, options.WriteBackDelay, logger);
        _writeBack = new WriteBack(store, _registry, journal, _cache, _keys, _memoryBlocks, _diskBlocks, _stagingDescriptors, new UploadedCopies(_memoryBlocks, _diskBlocks, options.BlockSize), options, _counters, _health, logger);
    }

    /// <summary>Files recovered from an earlier run's journal, uploading in the background.</summary>
    public IReadOnlyList<string> RecoveredPaths { get; private set; } = [];

    /// <summary>Staging files an earlier run left that no journal record owned, removed at start.</summary>
    public LeftoverStaging RemovedLeftovers { get; private set; } = new(0, 0);

    public EngineOptions Options => _options;

    /// <summary>
    /// Starts an engine over <paramref name="store"/> (already confined to the mount's prefix). Takes the cache
    /// directory for itself, and resumes uploads a crash left in its journal without waiting for them.
    /// </summary>
    public static MountEngine Start(IObjectStore store, EngineOptions options, NamePlatform platform = NamePlatform.Linux, ILoggerFactory? loggers = null) =>
        Start(store, options, platform, loggers, journalFlush: null);

    /// <summary><see cref="Start(IObjectStore, EngineOptions, NamePlatform, ILoggerFactory?)"/> with the journal's fsync replaced (tests).</summary>
    internal static MountEngine Start(IObjectStore store, EngineOptions options, NamePlatform platform, ILoggerFactory? loggers,
        Action<Microsoft.Win32.SafeHandles.SafeFileHandle>? journalFlush)
    {
        options.Validate();
        try
        {
            Directory.CreateDirectory(options.CacheDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A mistyped or unwritable cache folder is the user's input: say so, not with a stack trace.
            throw CacheDirectoryUnusable(options.CacheDirectory, e);
        }

        FileStream cacheLock;
        try
        {
            cacheLock = new FileStream(Path.Combine(options.CacheDirectory, "lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (UnauthorizedAccessException e)
        {
            throw CacheDirectoryUnusable(options.CacheDirectory, e);
        }
        catch (IOException e)
        {
            throw new FileSystemException(FsError.Unavailable, options.CacheDirectory,
                "this cache directory is in use by another running mount; give each mount its own cache directory.", e);
        }

        var engine = new MountEngine(store, options, platform, (loggers ?? NullLoggerFactory.Instance).CreateLogger("BucketMount.Engine"), cacheLock, journalFlush);
        engine._indexWriter.Start();
        var recovered = engine._writeBack.Recover();
        engine.RecoveredPaths = recovered.Select(f => f.Path).ToList();
        engine.RemovedLeftovers = StagingLeftovers.Remove(engine._stagingFolder, recovered.Select(f => f.Staging?.FilePath).OfType<string>());
        if (engine.RemovedLeftovers.Files > 0)
        {
            engine._logger.LogInformation("Removed {Files} staging file(s), {Bytes} bytes, that an earlier run left in the cache and no pending upload needs: files it was writing, never closed, when it stopped.",
                engine.RemovedLeftovers.Files, engine.RemovedLeftovers.Bytes);
        }

        return engine;
    }

    /// <summary>What is at <paramref name="path"/>; throws NotFound when nothing is.</summary>
    public async Task<NodeInfo> GetAttributesAsync(string path, CancellationToken cancellationToken) =>
        await TryGetAttributesAsync(path, cancellationToken).ConfigureAwait(false) ?? throw StoreErrors.NotFound(Normalize(path));

    /// <summary>What is at <paramref name="path"/>, or null.</summary>
    public async Task<NodeInfo?> TryGetAttributesAsync(string path, CancellationToken cancellationToken) =>
        await LookupAsync(await ResolveAsync(path, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    /// <summary>The entries of a directory (without "." and ".."), in ordinal name order.</summary>
    public async Task<IReadOnlyList<NodeInfo>> ListDirectoryAsync(string path, CancellationToken cancellationToken)
    {
        path = await ResolveAsync(path, cancellationToken).ConfigureAwait(false);
        var node = await LookupAsync(path, cancellationToken).ConfigureAwait(false) ?? throw StoreErrors.NotFound(path);
        if (!node.IsDirectory)
        {
            throw new FileSystemException(FsError.NotADirectory, path, "not a directory.");
        }

        // The registry is read before the store is asked as well as after: a file whose upload finishes while the
        // listing is on its way leaves the registry, and the store's answer may predate that upload. Later entries
        // win, so a file registered again meanwhile shows its newest state.
        var before = _registry.ChildrenOf(path);
        var listing = await StoreCallAsync(path, () => _namespace.ListAsync(path, cancellationToken)).ConfigureAwait(false);
        var local = before.Concat(_registry.ChildrenOf(path)).Where(f => !f.Deleted).ToList();
        if (local.Count == 0)
        {
            return listing.Snapshot();
        }

        // Open, dirty and not-yet-uploaded files show their local state.
        var merged = listing.Snapshot().ToDictionary(n => n.Name, StringComparer.Ordinal);
        foreach (var file in local)
        {
            lock (file.State)
            {
                // One read before the listing may have been renamed elsewhere since.
                if (FsPath.Parent(file.Path) == path)
                {
                    var shown = file.ToNode();
                    merged[shown.Name] = shown;
                }
            }
        }

        return merged.Values.OrderBy(n => n.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>Figures for statfs / GetDiskFreeSpace: object stores have no real limit, so the size is configured.</summary>
    public VolumeStatistics GetVolumeStatistics() => new(_options.VolumeSizeBytes, _options.VolumeSizeBytes, _options.BlockSize);

    public EngineStatistics GetStatistics()
    {
        var files = _registry.All();
        var dirty = files.Where(f => f.Dirty && !f.Deleted).ToList();
        var gc = GC.GetGCMemoryInfo();
        return new EngineStatistics
        {
            GcHeapBytes = gc.HeapSizeBytes,
            GcCommittedBytes = gc.TotalCommittedBytes,
            GcFragmentedBytes = gc.FragmentedBytes,
            GcGenerationBytes = [.. gc.GenerationInfo.ToArray().Select(g => g.SizeAfterBytes)],
            Store = _store.Counters.Snapshot(),
            MemoryCacheBytes = _memoryBlocks.Bytes,
            MemoryCacheHeldBytes = _memoryBlocks.HeldBytes,
            MemoryCacheBudget = _memoryBlocks.BudgetBytes,
            MemoryCacheHits = _memoryBlocks.Hits,
            MemoryCacheMisses = _memoryBlocks.Misses,
            MemoryBlocksRecycled = _memoryBlocks.Recycled,
            FilesFetchedAhead = _siblings?.Started ?? 0,
            DiskCacheBytes = _diskBlocks.Bytes,
            DiskCacheBudget = _diskBlocks.BudgetBytes,
            OpenFiles = files.Count(f => f.Handles > 0),
            RegisteredFiles = files.Count,
            DirtyFiles = dirty.Count,
            DirtyBytes = _counters.DirtyBytes,
            PendingUploads = dirty.Count(f => f.Handles == 0),
            FailingUploads = dirty.Count(f => f.LastError is not null),
            UploadsDone = _counters.UploadsSucceeded,
            UploadFailures = _counters.UploadsFailed,
            StreamedUploads = _counters.StreamedUploads,
            LeftoverUploadsDiscarded = _counters.LeftoverUploadsDiscarded,
            Conflicts = _counters.Conflicts,
            LastErrors = _counters.LastErrors(),
        };
    }

    /// <summary>True while <see cref="PauseUploads"/> holds new uploads back.</summary>
    public bool UploadsPaused => _writeBack.UploadsPaused;

    /// <summary>Uploads waiting for <see cref="ResumeUploads"/> now.</summary>
    public int UploadsHeldByPause => _writeBack.UploadsHeldByPause;

    /// <summary>Holds uploads not yet started (they stay durable in the journal); any drain, flush or unmount resumes them.</summary>
    public void PauseUploads() => _writeBack.PauseUploads();

    public void ResumeUploads() => _writeBack.ResumeUploads();

    /// <summary>Uploads every closed dirty file now and returns when all are in the store (without unmounting).</summary>
    public async Task WaitForUploadsAsync(IProgress<UploadProgress>? progress, CancellationToken cancellationToken)
    {
        await _writeBack.FlushAllAsync(progress, cancellationToken).ConfigureAwait(false);
        await FlushDirectoryTimesAsync(cancellationToken).ConfigureAwait(false);
        await FlushIndexesAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stores directories' changed times now instead of with their next batch; a failure is logged, not thrown (no file data is at stake).</summary>
    private async Task FlushDirectoryTimesAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _directories.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectStoreException e)
        {
            _health.OnFailure(e);
            _logger.LogWarning("The changed times of {Count} director(ies) could not be stored: {Reason}", _directories.PendingCount, e.Message);
        }
    }

    /// <summary>Unmount: uploads everything pending (reporting progress), then releases the cache directory.</summary>
    public async Task ShutdownAsync(IProgress<UploadProgress>? progress, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            FileSystemException? refused = null;
            try
            {
                await _writeBack.FlushAllAsync(progress, cancellationToken).ConfigureAwait(false);
            }
            catch (FileSystemException e)
            {
                // Files the store refused stay in the journal; what the other files' uploads owe (directory times,
                // indexes) is still written before the unmount reports them.
                refused = e;
            }

            await FlushDirectoryTimesAsync(cancellationToken).ConfigureAwait(false);
            await FlushIndexesAsync(cancellationToken).ConfigureAwait(false);
            if (refused is not null)
            {
                throw refused;
            }
        }
        finally
        {
            _directories.Dispose();
            await _indexWriter.StopAsync().ConfigureAwait(false);
            _indexWriter.Dispose();
            _writeBack.Shutdown();
            _health.Dispose();
            _cache.Dispose();
            await _cacheLock.DisposeAsync().ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => new(ShutdownAsync(null, CancellationToken.None));

    /// <summary>Writes the pending metadata indexes at unmount; failing leaves only HEADs for the next mount to pay, never an error.</summary>
    private async Task FlushIndexesAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _indexWriter.FlushAllAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectStoreException e)
        {
            _logger.LogWarning("Could not write the metadata indexes ({Reason}); the next mount asks the store for those files' attributes.", e.Message);
        }
    }

    private async Task<NodeInfo?> LookupAsync(string path, CancellationToken cancellationToken)
    {
        if (_registry.Find(path) is { Deleted: false } file)
        {
            lock (file.State)
            {
                return file.ToNode();
            }
        }

        return await StoreCallAsync(path, () => _namespace.LookupAsync(path, cancellationToken)).ConfigureAwait(false);
    }

    private async Task<NodeInfo> RequireDirectoryAsync(string path, CancellationToken cancellationToken)
    {
        var node = await LookupAsync(path, cancellationToken).ConfigureAwait(false) ?? throw StoreErrors.NotFound(path);
        return node.IsDirectory ? node : throw new FileSystemException(FsError.NotADirectory, path, "a path component is not a directory.");
    }

    private void RequireWritable(string path)
    {
        if (_options.ReadOnly)
        {
            throw new FileSystemException(FsError.ReadOnly, path, "the mount is read-only.");
        }
    }

    /// <summary>Runs a store call and turns its typed failure into the filesystem's; a failure that may pass marks the store unreachable.</summary>
    private async Task<T> StoreCallAsync<T>(string path, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (ObjectStoreException e)
        {
            _health.OnFailure(e);
            throw e.ToFileSystem(path);
        }
    }

    private async Task StoreCallAsync(string path, Func<Task> call)
    {
        try
        {
            await call().ConfigureAwait(false);
        }
        catch (ObjectStoreException e)
        {
            _health.OnFailure(e);
            throw e.ToFileSystem(path);
        }
    }

    private static FileSystemException CacheDirectoryUnusable(string directory, Exception reason) =>
        new(FsError.AccessDenied, directory, $"the cache directory cannot be created or written here ({reason.Message.TrimEnd('.')}): choose a folder this user can write.", reason);
}

/// <summary>statfs figures.</summary>
public sealed record VolumeStatistics(long TotalBytes, long FreeBytes, int BlockSize);
