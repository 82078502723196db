namespace BucketMount.Backends;

/// <summary>Conditions for a read.</summary>
public sealed record ReadOptions
{
    /// <summary>Fail with PreconditionFailed unless the object still has this ETag (where the store can check it).</summary>
    public string? IfMatch { get; init; }
}

/// <summary>What to store with an object and under which conditions.</summary>
public record PutOptions
{
    /// <summary>User metadata; names are lower-case letters, digits and '_' (see <see cref="MetadataRules"/>).</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    public string? ContentType { get; init; }

    /// <summary>Only replace the object if it still has this ETag.</summary>
    public string? IfMatch { get; init; }

    /// <summary>Only create the object if it does not exist yet (If-None-Match: *).</summary>
    public bool IfNoneMatch { get; init; }
}

/// <summary>Put options plus how to split a large upload into parts.</summary>
public sealed record UploadOptions : PutOptions
{
    public const long DefaultPartSize = 8L * 1024 * 1024;
    public const int DefaultConcurrency = 4;

    /// <summary>Bytes per part; the store may raise it to stay within its part-count limit.</summary>
    public long PartSize { get; init; } = DefaultPartSize;

    /// <summary>How many parts are in flight at once.</summary>
    public int Concurrency { get; init; } = DefaultConcurrency;

    /// <summary>
    /// Called with the store's upload id when the upload begins in parts, before any part is sent (again if a retry
    /// begins it anew), so the caller can record it and discard the parts with
    /// <see cref="IObjectStore.AbortPartUploadAsync"/> should it crash before the upload ends.
    /// </summary>
    public Action<string>? PartUploadBegun { get; init; }
}

/// <summary>How a server-side copy treats metadata.</summary>
public sealed record CopyOptions
{
    /// <summary>When set, the copy gets exactly this metadata instead of the source's.</summary>
    public IReadOnlyDictionary<string, string>? ReplaceMetadata { get; init; }

    public string? ContentType { get; init; }

    /// <summary>Only copy if the source still has this ETag.</summary>
    public string? SourceIfMatch { get; init; }

    /// <summary>
    /// The source's size when the caller knows it (from a listing): a store that must otherwise look it up first
    /// (S3: it decides between one CopyObject and a multipart copy) may skip that request. The copy's
    /// <see cref="ObjectInfo.Metadata"/> is then unknown (null) unless metadata is replaced.
    /// </summary>
    public long? SourceSize { get; init; }
}

/// <summary>A key that a batch delete could not delete, and why.</summary>
public sealed record DeleteFailure(string Key, ObjectStoreException Error);
