namespace BucketMount.Backends;

/// <summary>
/// An upload sent part by part while the object is still being written (S3 multipart), so that most of a large
/// file is in the store by the time it is closed. Parts are numbered from 1 and may be sent in any order and in
/// parallel; every part but the last holds at least <see cref="StoreCapabilities.MinPartSize"/> bytes. The object
/// appears only on <see cref="CompleteAsync"/>; until then, and after <see cref="AbortAsync"/>, readers see
/// whatever was there before.
/// </summary>
public interface IPartUpload
{
    string Key { get; }

    /// <summary>
    /// The store's id for this upload. A caller that records it (with the key) before sending parts can discard the
    /// parts of an upload a crash interrupted, with <see cref="IObjectStore.AbortPartUploadAsync"/>.
    /// </summary>
    string UploadId { get; }

    /// <summary>Sends <paramref name="length"/> bytes of <paramref name="source"/> from <paramref name="offset"/> as part <paramref name="partNumber"/>.</summary>
    Task UploadPartAsync(int partNumber, IUploadSource source, long offset, long length, CancellationToken cancellationToken);

    /// <summary>
    /// Commits parts 1..n, which must all have been sent, as one object of <paramref name="length"/> bytes, under the
    /// metadata and conditions given when the upload began. On failure nothing is committed; the caller aborts.
    /// </summary>
    Task<ObjectInfo> CompleteAsync(long length, CancellationToken cancellationToken);

    /// <summary>Discards the parts sent. Best effort: a part that cannot be discarded is left to the store's own cleanup.</summary>
    Task AbortAsync(CancellationToken cancellationToken);
}

/// <summary>An upload in parts the store holds parts of that nobody completed or aborted yet.</summary>
public sealed record UnfinishedPartUpload(string Key, string UploadId, DateTimeOffset Initiated);
