using System.Runtime.CompilerServices;
using BucketMount.Backends.Internal;

namespace BucketMount.Backends.Memory;

/// <summary>
/// An object store held in this process's memory, for tests and benchmarks. It behaves like a strict S3:
/// conditional reads and writes, ordered listings, immutable object versions with fresh ETags.
/// </summary>
public sealed class MemoryObjectStore : IObjectStore
{
    /// <summary>How much a streamed read writes (and counts) at a time, like a network read's buffer.</summary>
    private const int StreamChunkBytes = 64 * 1024;

    private readonly object _gate = new();
    private readonly SortedList<string, StoredObject> _objects = new(KeyOrder.Instance);

    // Uploads begun in parts and neither completed nor aborted, by id: their key. As on S3, parts of an upload
    // nobody ends stay here.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, UnfinishedPartUpload> _openUploads = new();
    private long _lastUploadId;
    private long _lastCopy;

    public MemoryObjectStore(string name = "memory")
    {
        Name = name;
        Description = $"mem://{name}";
    }

    public string Name { get; }

    public StoreCapabilities Capabilities { get; } = new()
    {
        ConditionalWrites = true,
        ConditionalReads = true,
        ListingIncludesMetadata = false,
        MaxBatchDelete = 1000,
        PartUploads = true,
    };

    public StoreCounters Counters { get; } = new();

    /// <summary>
    /// As Azure does (and S3 for a multipart source): a copy is a new version with an ETag of its own. Off, a copy
    /// keeps its source's ETag as S3 does for an object of one part.
    /// </summary>
    public bool CopiesGetNewETags { get; init; }

    public string Description { get; }

    /// <summary>How many objects are stored (for tests).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _objects.Count;
            }
        }
    }

    /// <summary>Uploads begun in parts that were neither completed nor aborted (for tests).</summary>
    public IReadOnlyList<UnfinishedPartUpload> OpenPartUploads => [.. _openUploads.Values.OrderBy(u => u.UploadId, StringComparer.Ordinal)];

    public Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Counters.CountRequest(RequestKind.Head);
        return Task.FromResult(Find(key)?.Info);
    }

    /// <summary>One GET, as on S3: the answer carries the attributes and, when small enough, the bytes.</summary>
    public Task<SmallObject?> GetSmallAsync(string key, int maxBytes, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Counters.CountRequest(RequestKind.Get);
        if (Find(key) is not { } found)
        {
            return Task.FromResult<SmallObject?>(null);
        }

        var small = found.Data.Length > maxBytes ? null : found.Data.ToArray();
        Counters.AddDownloaded(small?.Length ?? 0);
        return Task.FromResult<SmallObject?>(new SmallObject(found.Info, small));
    }

    public IAsyncEnumerable<ListEntry> ListAsync(string prefix, string? delimiter, CancellationToken cancellationToken) =>
        ListAsync(prefix, delimiter, null, cancellationToken);

    /// <summary>Like S3, a listing can start after a key: its pages (and requests) are counted from there.</summary>
    public async IAsyncEnumerable<ListEntry> ListAsync(string prefix, string? delimiter, string? startAfter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ObjectInfo[] snapshot;
        lock (_gate)
        {
            snapshot = _objects.Values.Select(static o => o.Info with { Metadata = null }).ToArray();
        }

        var grouped = ListingGrouper.Group(snapshot, prefix, delimiter);
        if (startAfter is not null)
        {
            grouped = grouped.Where(e => KeyOrder.Instance.Compare(e.Key, startAfter) > 0);
        }

        foreach (var entry in ListingPages.Count(grouped, Counters))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return entry;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    public Task<int> ReadAsync(string key, long offset, Memory<byte> buffer, ReadOptions? options, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (buffer.IsEmpty)
        {
            return Task.FromResult(0);
        }

        var data = Get(key, options).Data;
        Counters.CountRequest(RequestKind.Get);
        if (offset >= data.Length)
        {
            return Task.FromResult(0);
        }

        var count = (int)Math.Min(buffer.Length, data.Length - offset);
        data.AsSpan((int)offset, count).CopyTo(buffer.Span);
        Counters.AddDownloaded(count);
        return Task.FromResult(count);
    }

    public async Task<long> ReadToAsync(string key, long offset, long? length, Stream destination, ReadOptions? options, CancellationToken cancellationToken)
    {
        var data = Get(key, options).Data;
        Counters.CountRequest(RequestKind.Get);
        if (offset >= data.Length)
        {
            return 0;
        }

        // Sent and counted a chunk at a time, as a network store's bytes are: a reader that stops partway (a broken
        // or ended stream) has been sent, and is billed for, only what it took.
        var count = (int)Math.Min(length ?? long.MaxValue, data.Length - offset);
        for (var sent = 0; sent < count;)
        {
            var chunk = Math.Min(StreamChunkBytes, count - sent);
            await destination.WriteAsync(data.AsMemory((int)offset + sent, chunk), cancellationToken).ConfigureAwait(false);
            Counters.AddDownloaded(chunk);
            sent += chunk;
        }

        return count;
    }

    public async Task<ObjectInfo> PutAsync(string key, Stream content, PutOptions? options, CancellationToken cancellationToken)
    {
        MetadataRules.ValidateKey(key, Capabilities.MaxKeyBytes, Description);
        var metadata = MetadataRules.Validate(options?.Metadata, Description, key);
        using var buffer = new MemoryStream();
        var (length, md5) = await StreamCopy.CopyWithMd5Async(content, buffer, cancellationToken).ConfigureAwait(false);
        Counters.CountRequest(RequestKind.Put);
        Counters.AddUploaded(length);
        return Commit(key, buffer.ToArray(), $"\"{md5}\"", metadata, options);
    }

    public async Task<ObjectInfo> UploadAsync(string key, IUploadSource source, UploadOptions? options, CancellationToken cancellationToken)
    {
        options ??= new UploadOptions();
        MetadataRules.ValidateKey(key, Capabilities.MaxKeyBytes, Description);
        var metadata = MetadataRules.Validate(options.Metadata, Description, key);
        var data = new byte[source.Length];
        var partSize = (int)Math.Max(1, Math.Min(options.PartSize, int.MaxValue));
        var partCount = (int)((source.Length + partSize - 1) / partSize);
        var uploadId = BeginUpload(key);
        try
        {
            options.PartUploadBegun?.Invoke(uploadId);
            await Parallel.ForAsync(0, partCount, new ParallelOptions { MaxDegreeOfParallelism = options.Concurrency, CancellationToken = cancellationToken }, async (part, ct) =>
            {
                var offset = (long)part * partSize;
                var length = (int)Math.Min(partSize, source.Length - offset);
                await Transfers.ReadExactlyAsync(source, offset, data.AsMemory((int)offset, length), ct).ConfigureAwait(false);
                RequireOpen(key, uploadId);
                Counters.CountRequest(RequestKind.Multipart);
                Counters.AddUploaded(length);
            }).ConfigureAwait(false);
            RequireOpen(key, uploadId);
            Counters.CountRequest(RequestKind.Multipart);
            return Commit(key, data, MultipartETag(data, partCount), metadata, options);
        }
        finally
        {
            // Completed, or aborted on failure as S3's multipart upload does.
            _openUploads.TryRemove(uploadId, out _);
        }
    }

    public Task<IPartUpload?> BeginPartUploadAsync(string key, PutOptions options, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        MetadataRules.ValidateKey(key, Capabilities.MaxKeyBytes, Description);
        var metadata = MetadataRules.Validate(options.Metadata, Description, key);
        return Task.FromResult<IPartUpload?>(new MemoryPartUpload(this, key, BeginUpload(key), options with { Metadata = metadata }));
    }

    public Task AbortPartUploadAsync(string key, string uploadId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Counters.CountRequest(RequestKind.Multipart);
        if (_openUploads.TryGetValue(uploadId, out var open) && open.Key == key)
        {
            _openUploads.TryRemove(uploadId, out _);
        }

        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<UnfinishedPartUpload> ListUnfinishedPartUploadsAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        Counters.CountRequest(RequestKind.List);
        foreach (var upload in _openUploads.Values.Where(u => u.Key.StartsWith(prefix, StringComparison.Ordinal)).OrderBy(u => u.Key, KeyOrder.Instance).ThenBy(u => u.Initiated))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return upload;
        }
    }

    public Task<ObjectInfo> CopyAsync(string sourceKey, string destinationKey, CopyOptions? options, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        MetadataRules.ValidateKey(destinationKey, Capabilities.MaxKeyBytes, Description);
        var replace = MetadataRules.Validate(options?.ReplaceMetadata, Description, destinationKey);
        var source = Get(sourceKey, options?.SourceIfMatch is { } etag ? new ReadOptions { IfMatch = etag } : null);
        Counters.CountRequest(RequestKind.Copy);
        var put = new PutOptions { ContentType = options?.ContentType ?? source.Info.ContentType };
        var copyETag = CopiesGetNewETags ? $"\"copy-{Interlocked.Increment(ref _lastCopy)}\"" : source.Info.ETag;
        return Task.FromResult(Commit(destinationKey, source.Data, copyETag, replace ?? source.Info.Metadata, put));
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Counters.CountRequest(RequestKind.Delete);
        lock (_gate)
        {
            _objects.Remove(key);
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<DeleteFailure>> DeleteManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        for (var i = 0; i < keys.Count; i += Capabilities.MaxBatchDelete)
        {
            Counters.CountRequest(RequestKind.Delete);
        }

        lock (_gate)
        {
            foreach (var key in keys)
            {
                _objects.Remove(key);
            }
        }

        return Task.FromResult<IReadOnlyList<DeleteFailure>>([]);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public override string ToString() => Description;

    private StoredObject? Find(string key)
    {
        lock (_gate)
        {
            return _objects.GetValueOrDefault(key);
        }
    }

    private StoredObject Get(string key, ReadOptions? options)
    {
        var found = Find(key) ?? throw new ObjectStoreException(ObjectStoreErrorKind.NotFound, "no object has this key.", Description, key);
        Preconditions.CheckRead(found.Info, options?.IfMatch, Description);
        return found;
    }

    private ObjectInfo Commit(string key, byte[] data, string etag, IReadOnlyDictionary<string, string>? metadata, PutOptions? options)
    {
        lock (_gate)
        {
            Preconditions.CheckWrite(_objects.GetValueOrDefault(key)?.Info, options, Description, key);

            var info = new ObjectInfo(key, data.Length, etag, DateTimeOffset.UtcNow,
                metadata ?? new Dictionary<string, string>(), options?.ContentType ?? "application/octet-stream");
            _objects[key] = new StoredObject(info, data);
            return info;
        }
    }

    private string BeginUpload(string key)
    {
        Counters.CountRequest(RequestKind.Multipart);
        var uploadId = $"upload-{Interlocked.Increment(ref _lastUploadId)}";
        _openUploads[uploadId] = new UnfinishedPartUpload(key, uploadId, DateTimeOffset.UtcNow);
        return uploadId;
    }

    /// <summary>Fails as S3 does (NoSuchUpload) once the upload was completed or aborted.</summary>
    private void RequireOpen(string key, string uploadId)
    {
        if (!_openUploads.ContainsKey(uploadId))
        {
            throw new ObjectStoreException(ObjectStoreErrorKind.NotFound, $"no upload {uploadId} is in progress (completed or aborted).", Description, key);
        }
    }

    /// <summary>An ETag shaped like S3's for a multipart object: a hash, a dash and the part count.</summary>
    private static string MultipartETag(byte[] data, int partCount) =>
        $"\"{Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(data))}-{partCount}\"";

    private sealed record StoredObject(ObjectInfo Info, byte[] Data);

    /// <summary>Parts kept until completion, then committed as one object under the conditions given at the start.</summary>
    private sealed class MemoryPartUpload(MemoryObjectStore store, string key, string uploadId, PutOptions options) : IPartUpload
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<int, byte[]> _parts = new();

        public string Key => key;

        public string UploadId => uploadId;

        public async Task UploadPartAsync(int partNumber, IUploadSource source, long offset, long length, CancellationToken cancellationToken)
        {
            var data = new byte[length];
            await Transfers.ReadExactlyAsync(source, offset, data, cancellationToken).ConfigureAwait(false);
            store.RequireOpen(key, uploadId);
            store.Counters.CountRequest(RequestKind.Multipart);
            store.Counters.AddUploaded(length);
            _parts[partNumber] = data;
        }

        public Task<ObjectInfo> CompleteAsync(long length, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            store.RequireOpen(key, uploadId);
            var parts = _parts.OrderBy(p => p.Key).ToList();
            if (parts.Count == 0 || parts[^1].Key != parts.Count)
            {
                throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument, "parts 1 to n must all be sent before completing.", store.Description, key);
            }

            var data = parts.SelectMany(p => p.Value).ToArray();
            if (data.Length != length)
            {
                throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument, $"the parts hold {data.Length} bytes, not {length}.", store.Description, key);
            }

            store.Counters.CountRequest(RequestKind.Multipart);
            var info = store.Commit(key, data, MultipartETag(data, parts.Count), options.Metadata, options);
            store._openUploads.TryRemove(uploadId, out _);
            return Task.FromResult(info);
        }

        public Task AbortAsync(CancellationToken cancellationToken)
        {
            _parts.Clear();
            store._openUploads.TryRemove(uploadId, out _);
            return Task.CompletedTask;
        }
    }
}
