namespace BucketMount.Backends.Decorators;

/// <summary>A store that wraps another and forwards every call; decorators override only what they change.</summary>
public abstract class ObjectStoreDecorator(IObjectStore inner) : IObjectStore
{
    protected IObjectStore Inner { get; } = inner;

    public virtual StoreCapabilities Capabilities => Inner.Capabilities;

    public StoreCounters Counters => Inner.Counters;

    public virtual string Description => Inner.Description;

    public virtual Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken) =>
        Inner.HeadAsync(key, cancellationToken);

    public virtual Task<SmallObject?> GetSmallAsync(string key, int maxBytes, CancellationToken cancellationToken) =>
        Inner.GetSmallAsync(key, maxBytes, cancellationToken);

    public virtual IAsyncEnumerable<ListEntry> ListAsync(string prefix, string? delimiter, CancellationToken cancellationToken) =>
        Inner.ListAsync(prefix, delimiter, cancellationToken);

    /// <summary>Resumes a listing; decorators that change listings override both overloads (the default skips over this decorator's own listing).</summary>
    public virtual IAsyncEnumerable<ListEntry> ListAsync(string prefix, string? delimiter, string? startAfter, CancellationToken cancellationToken) =>
        startAfter is null ? ListAsync(prefix, delimiter, cancellationToken) : Internal.Listings.After(ListAsync(prefix, delimiter, cancellationToken), startAfter, cancellationToken);

    public virtual Task<int> ReadAsync(string key, long offset, Memory<byte> buffer, ReadOptions? options, CancellationToken cancellationToken) =>
        Inner.ReadAsync(key, offset, buffer, options, cancellationToken);

    public virtual Task<long> ReadToAsync(string key, long offset, long? length, Stream destination, ReadOptions? options, CancellationToken cancellationToken) =>
        Inner.ReadToAsync(key, offset, length, destination, options, cancellationToken);

    public virtual Task<ObjectInfo> PutAsync(string key, Stream content, PutOptions? options, CancellationToken cancellationToken) =>
        Inner.PutAsync(key, content, options, cancellationToken);

    public virtual Task<ObjectInfo> UploadAsync(string key, IUploadSource source, UploadOptions? options, CancellationToken cancellationToken) =>
        Inner.UploadAsync(key, source, options, cancellationToken);

    public virtual Task<IPartUpload?> BeginPartUploadAsync(string key, PutOptions options, CancellationToken cancellationToken) =>
        Inner.BeginPartUploadAsync(key, options, cancellationToken);

    public virtual Task AbortPartUploadAsync(string key, string uploadId, CancellationToken cancellationToken) =>
        Inner.AbortPartUploadAsync(key, uploadId, cancellationToken);

    public virtual IAsyncEnumerable<UnfinishedPartUpload> ListUnfinishedPartUploadsAsync(string prefix, CancellationToken cancellationToken) =>
        Inner.ListUnfinishedPartUploadsAsync(prefix, cancellationToken);

    public virtual Task<ObjectInfo> CopyAsync(string sourceKey, string destinationKey, CopyOptions? options, CancellationToken cancellationToken) =>
        Inner.CopyAsync(sourceKey, destinationKey, options, cancellationToken);

    public virtual Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        Inner.DeleteAsync(key, cancellationToken);

    public virtual Task<IReadOnlyList<DeleteFailure>> DeleteManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken) =>
        Inner.DeleteManyAsync(keys, cancellationToken);

    public virtual ValueTask DisposeAsync() => Inner.DisposeAsync();

    public override string ToString() => Description;
}
