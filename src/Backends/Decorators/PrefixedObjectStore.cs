using System.Runtime.CompilerServices;

namespace BucketMount.Backends.Decorators;

/// <summary>
/// Confines a store to the keys under one prefix, as in <c>s3://bucket/some/prefix</c>: callers see keys relative
/// to it, and nothing outside it can be read, listed or written.
/// </summary>
public sealed class PrefixedObjectStore : ObjectStoreDecorator
{
    private readonly string _prefix;

    public PrefixedObjectStore(IObjectStore inner, string prefix)
        : base(inner)
    {
        _prefix = prefix.Trim('/') + "/";
        Description = inner.Description.TrimEnd('/') + "/" + _prefix;
        // The store's key limit counts the prefix too: callers get what is left for their own keys.
        Capabilities = inner.Capabilities with { MaxKeyBytes = Math.Max(0, inner.Capabilities.MaxKeyBytes - System.Text.Encoding.UTF8.GetByteCount(_prefix)) };
    }

    public override string Description { get; }

    public override StoreCapabilities Capabilities { get; }

    public override async Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken) =>
        Strip(await Inner.HeadAsync(Full(key), cancellationToken).ConfigureAwait(false));

    public override async Task<SmallObject?> GetSmallAsync(string key, int maxBytes, CancellationToken cancellationToken) =>
        await Inner.GetSmallAsync(Full(key), maxBytes, cancellationToken).ConfigureAwait(false) is { } small
            ? small with { Info = Strip(small.Info)! }
            : null;

    public override IAsyncEnumerable<ListEntry> ListAsync(string prefix, string? delimiter, CancellationToken cancellationToken) =>
        ListAsync(prefix, delimiter, null, cancellationToken);

    public override async IAsyncEnumerable<ListEntry> ListAsync(string prefix, string? delimiter, string? startAfter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var entry in Inner.ListAsync(_prefix + prefix, delimiter, startAfter is null ? null : _prefix + startAfter, cancellationToken).ConfigureAwait(false))
        {
            yield return entry.IsPrefix ? ListEntry.ForPrefix(entry.Key[_prefix.Length..]) : ListEntry.ForObject(Strip(entry.Object)!);
        }
    }

    public override Task<int> ReadAsync(string key, long offset, Memory<byte> buffer, ReadOptions? options, CancellationToken cancellationToken) =>
        Inner.ReadAsync(Full(key), offset, buffer, options, cancellationToken);

    public override Task<long> ReadToAsync(string key, long offset, long? length, Stream destination, ReadOptions? options, CancellationToken cancellationToken) =>
        Inner.ReadToAsync(Full(key), offset, length, destination, options, cancellationToken);

    public override async Task<ObjectInfo> PutAsync(string key, Stream content, PutOptions? options, CancellationToken cancellationToken) =>
        Strip(await Inner.PutAsync(Full(key), content, options, cancellationToken).ConfigureAwait(false))!;

    public override async Task<ObjectInfo> UploadAsync(string key, IUploadSource source, UploadOptions? options, CancellationToken cancellationToken) =>
        Strip(await Inner.UploadAsync(Full(key), source, options, cancellationToken).ConfigureAwait(false))!;

    public override async Task<IPartUpload?> BeginPartUploadAsync(string key, PutOptions options, CancellationToken cancellationToken) =>
        await Inner.BeginPartUploadAsync(Full(key), options, cancellationToken).ConfigureAwait(false) is { } upload
            ? new PrefixedPartUpload(upload, key, this)
            : null;

    public override Task AbortPartUploadAsync(string key, string uploadId, CancellationToken cancellationToken) =>
        Inner.AbortPartUploadAsync(Full(key), uploadId, cancellationToken);

    public override async IAsyncEnumerable<UnfinishedPartUpload> ListUnfinishedPartUploadsAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var upload in Inner.ListUnfinishedPartUploadsAsync(_prefix + prefix, cancellationToken).ConfigureAwait(false))
        {
            yield return upload with { Key = upload.Key[_prefix.Length..] };
        }
    }

    public override async Task<ObjectInfo> CopyAsync(string sourceKey, string destinationKey, CopyOptions? options, CancellationToken cancellationToken) =>
        Strip(await Inner.CopyAsync(Full(sourceKey), Full(destinationKey), options, cancellationToken).ConfigureAwait(false))!;

    public override Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        Inner.DeleteAsync(Full(key), cancellationToken);

    public override async Task<IReadOnlyList<DeleteFailure>> DeleteManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var failures = await Inner.DeleteManyAsync(keys.Select(Full).ToList(), cancellationToken).ConfigureAwait(false);
        return failures.Select(f => f with { Key = f.Key[_prefix.Length..] }).ToList();
    }

    private string Full(string key)
    {
        if (string.IsNullOrEmpty(key))
        {
            throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument, "the key is empty; give the object a name.", Description, key);
        }

        return _prefix + key;
    }

    private ObjectInfo? Strip(ObjectInfo? info) => info is null ? null : info with { Key = info.Key[_prefix.Length..] };

    private sealed class PrefixedPartUpload(IPartUpload inner, string key, PrefixedObjectStore store) : PartUploadDecorator(inner)
    {
        public override string Key => key;

        public override async Task<ObjectInfo> CompleteAsync(long length, CancellationToken cancellationToken) =>
            store.Strip(await Inner.CompleteAsync(length, cancellationToken).ConfigureAwait(false))!;
    }
}
