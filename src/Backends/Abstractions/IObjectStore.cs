namespace BucketMount.Backends;

/// <summary>
/// The one interface the filesystem engine needs from an object store, and no more.
/// A store knows keys and bytes; it knows nothing of files, directories or handles.
/// Every method throws <see cref="ObjectStoreException"/> (with a <see cref="ObjectStoreErrorKind"/>) on failure,
/// except where "not found" is an ordinary answer (<see cref="HeadAsync"/> returns null, deletes are idempotent).
/// </summary>
public interface IObjectStore : IAsyncDisposable
{
    /// <summary>What this store can and cannot do; the engine asks this, never the concrete type.</summary>
    StoreCapabilities Capabilities { get; }

    /// <summary>Requests and bytes this store has sent and received, counted per real request.</summary>
    StoreCounters Counters { get; }

    /// <summary>A description of where the store points (no secrets), for status output and messages.</summary>
    string Description { get; }

    /// <summary>Size, ETag, last-modified and user metadata of one object, or null when it does not exist.</summary>
    Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// What <see cref="HeadAsync"/> tells of an object together with its bytes when it has at most
    /// <paramref name="maxBytes"/>: null when it does not exist. A store whose GET answers with the object's
    /// metadata does it in one request (S3, memory); the default asks with a HEAD and then a GET.
    /// </summary>
    async Task<SmallObject?> GetSmallAsync(string key, int maxBytes, CancellationToken cancellationToken)
    {
        if (await HeadAsync(key, cancellationToken).ConfigureAwait(false) is not { } info)
        {
            return null;
        }

        if (info.Size > maxBytes)
        {
            return new SmallObject(info, null);
        }

        var data = new byte[info.Size];
        var read = info.Size == 0 ? 0 : await ReadAsync(key, 0, data, new ReadOptions { IfMatch = info.ETag }, cancellationToken).ConfigureAwait(false);
        return new SmallObject(info, read == data.Length ? data : null);
    }

    /// <summary>
    /// Objects and common prefixes under <paramref name="prefix"/> in ascending key order (ordinal UTF-8),
    /// grouped at <paramref name="delimiter"/> when one is given. Pagination happens inside.
    /// Listed objects carry no user metadata unless <see cref="StoreCapabilities.ListingIncludesMetadata"/>.
    /// </summary>
    IAsyncEnumerable<ListEntry> ListAsync(string prefix, string? delimiter, CancellationToken cancellationToken);

    /// <summary>
    /// The listing of <see cref="ListAsync(string, string?, CancellationToken)"/> from after <paramref name="startAfter"/>
    /// (a key or common prefix an earlier listing of the same prefix gave): how a listing resumes where a first page
    /// ended. A store that can start there (S3: marker / start-after) does so at no extra cost; the default lists
    /// from the start and skips.
    /// </summary>
    IAsyncEnumerable<ListEntry> ListAsync(string prefix, string? delimiter, string? startAfter, CancellationToken cancellationToken) =>
        startAfter is null ? ListAsync(prefix, delimiter, cancellationToken) : Internal.Listings.After(ListAsync(prefix, delimiter, cancellationToken), startAfter, cancellationToken);

    /// <summary>
    /// Reads up to <c>buffer.Length</c> bytes starting at <paramref name="offset"/> into the caller's buffer and
    /// returns how many were read: fewer only at the end of the object, 0 at or past its end.
    /// With <see cref="ReadOptions.IfMatch"/> a changed object fails with <see cref="ObjectStoreErrorKind.PreconditionFailed"/>.
    /// </summary>
    Task<int> ReadAsync(string key, long offset, Memory<byte> buffer, ReadOptions? options, CancellationToken cancellationToken);

    /// <summary>
    /// Copies <paramref name="length"/> bytes (or to the end when null) from <paramref name="offset"/> into
    /// <paramref name="destination"/>; returns the number of bytes copied.
    /// </summary>
    Task<long> ReadToAsync(string key, long offset, long? length, Stream destination, ReadOptions? options, CancellationToken cancellationToken);

    /// <summary>
    /// Creates or replaces one object with the whole of <paramref name="content"/> in a single request.
    /// Honours <see cref="PutOptions.IfMatch"/> / <see cref="PutOptions.IfNoneMatch"/> where
    /// <see cref="StoreCapabilities.ConditionalWrites"/> says the store can.
    /// </summary>
    Task<ObjectInfo> PutAsync(string key, Stream content, PutOptions? options, CancellationToken cancellationToken);

    /// <summary>
    /// Uploads a large object in parts sent in parallel (S3 multipart, Azure Put Block / Put Block List).
    /// On failure or cancellation the parts are aborted and no object is committed.
    /// </summary>
    Task<ObjectInfo> UploadAsync(string key, IUploadSource source, UploadOptions? options, CancellationToken cancellationToken);

    /// <summary>
    /// Begins an upload whose parts are sent as they become ready (<see cref="IPartUpload"/>), with the object's
    /// metadata and the conditions its completion must meet. Null where <see cref="StoreCapabilities.PartUploads"/>
    /// is false: the caller then uploads the whole object with <see cref="UploadAsync"/>.
    /// </summary>
    Task<IPartUpload?> BeginPartUploadAsync(string key, PutOptions options, CancellationToken cancellationToken) =>
        Task.FromResult<IPartUpload?>(null);

    /// <summary>
    /// Discards the parts of an unfinished upload known by its key and id (<see cref="IPartUpload.UploadId"/>,
    /// <see cref="UploadOptions.PartUploadBegun"/>), typically one a crash left behind. An upload already completed,
    /// aborted or unknown is not an error. The default, for stores that keep no parts (or expire them themselves,
    /// as Azure does uncommitted blocks), has nothing to do.
    /// </summary>
    Task AbortPartUploadAsync(string key, string uploadId, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Uploads in parts begun under <paramref name="prefix"/> and not yet completed or aborted, by this machine or any
    /// other (some still running, some left by crashes or machines that are gone), in key order. Empty for stores
    /// that keep no parts. Fails with <see cref="ObjectStoreErrorKind.NotSupported"/> where the store cannot list them.
    /// </summary>
    IAsyncEnumerable<UnfinishedPartUpload> ListUnfinishedPartUploadsAsync(string prefix, CancellationToken cancellationToken) => NoUnfinishedPartUploads();

    /// <summary>Server-side copy; keeps the source's metadata unless <see cref="CopyOptions.ReplaceMetadata"/> is given.</summary>
    Task<ObjectInfo> CopyAsync(string sourceKey, string destinationKey, CopyOptions? options, CancellationToken cancellationToken);

    private static async IAsyncEnumerable<UnfinishedPartUpload> NoUnfinishedPartUploads()
    {
        await Task.CompletedTask.ConfigureAwait(false);
        yield break;
    }

    /// <summary>Deletes one object. Deleting a key that does not exist succeeds, as on S3.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);

    /// <summary>Deletes many objects, in batches where the store can; returns the keys that could not be deleted.</summary>
    Task<IReadOnlyList<DeleteFailure>> DeleteManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken);
}
