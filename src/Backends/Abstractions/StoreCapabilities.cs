namespace BucketMount.Backends;

/// <summary>What a store can do. Capabilities are data: callers ask these, never the store's type.</summary>
public sealed record StoreCapabilities
{
    /// <summary>PUT honours If-Match and If-None-Match: * (real S3, Azure, local, memory; not s3rver).</summary>
    public bool ConditionalWrites { get; init; }

    /// <summary>GET honours If-Match, so a read can be tied to one version of the object.</summary>
    public bool ConditionalReads { get; init; }

    /// <summary>Listings carry user metadata (so no HEAD per object is needed for mtimes).</summary>
    public bool ListingIncludesMetadata { get; init; }

    /// <summary>Copy happens inside the store, without the bytes passing through this machine.</summary>
    public bool ServerSideCopy { get; init; } = true;

    /// <summary>Largest object one PUT may carry; larger ones must use <see cref="IObjectStore.UploadAsync"/>.</summary>
    public long MaxSinglePutSize { get; init; } = long.MaxValue;

    /// <summary>Smallest part (except the last) a multipart upload accepts.</summary>
    public long MinPartSize { get; init; } = 1;

    /// <summary>Largest part a multipart upload accepts.</summary>
    public long MaxPartSize { get; init; } = long.MaxValue;

    /// <summary>Most parts one multipart upload may have.</summary>
    public int MaxPartCount { get; init; } = int.MaxValue;

    /// <summary>
    /// The largest object the store can hold: one PUT, or its most parts of the largest size (S3: 10,000 of 5 GiB).
    /// A store that states no limit (local folder, memory) has none.
    /// </summary>
    public long MaxObjectSize
    {
        get
        {
            var parts = Math.Max(1, MaxPartCount);
            var inParts = MaxPartSize > long.MaxValue / parts ? long.MaxValue : MaxPartSize * parts;
            return Math.Max(MaxSinglePutSize, inParts);
        }
    }

    /// <summary>
    /// <see cref="IObjectStore.BeginPartUploadAsync"/> works: parts of an object can be sent before its length is
    /// known and committed later (S3 multipart, memory).
    /// </summary>
    public bool PartUploads { get; init; }

    /// <summary>Longest key in UTF-8 bytes.</summary>
    public int MaxKeyBytes { get; init; } = 1024;

    /// <summary>A '\' in a key stays a '\' (Azure turns it into '/', so there a name with '\' must be refused).</summary>
    public bool BackslashInKeys { get; init; } = true;

    /// <summary>
    /// The objects already live on this machine's disk (the local-folder store), so caching their blocks on disk
    /// again would only double the I/O.
    /// </summary>
    public bool OnLocalDisk { get; init; }

    /// <summary>
    /// Keys that differ only in case name one object (a local folder on Windows or macOS, whose file systems fold
    /// case): "a.txt" and "A.txt" are the same file there, so renaming one to the other must not copy then delete.
    /// </summary>
    public bool CaseInsensitiveKeys { get; init; }

    /// <summary>Keys one batch-delete request can carry (1 when the store has no batch delete).</summary>
    public int MaxBatchDelete { get; init; } = 1;
}
