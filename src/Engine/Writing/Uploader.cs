using BucketMount.Backends;

namespace BucketMount.Engine.Writing;

/// <summary>Sends one staging file to the store: one PUT when it fits in a part, parallel parts when larger.</summary>
internal sealed class Uploader(IObjectStore store, long partSize, int partConcurrency)
{
    public Task<ObjectInfo> TransferAsync(string key, StagingFile staging, long size, IReadOnlyDictionary<string, string> metadata,
        string? ifMatch, bool ifNoneMatch, CancellationToken cancellationToken)
    {
        var conditional = store.Capabilities.ConditionalWrites;
        ifMatch = conditional ? ifMatch : null;
        ifNoneMatch = conditional && ifNoneMatch;
        if (size <= partSize)
        {
            var stream = new PositionalReadStream(staging.Handle, size);
            var put = new PutOptions { Metadata = metadata, IfMatch = ifMatch, IfNoneMatch = ifNoneMatch };
            return store.PutAsync(key, stream, put, cancellationToken);
        }

        var upload = new UploadOptions
        {
            Metadata = metadata,
            IfMatch = ifMatch,
            IfNoneMatch = ifNoneMatch,
            PartSize = Math.Max(partSize, (size / Math.Max(1, store.Capabilities.MaxPartCount - 1)) + 1),
            Concurrency = partConcurrency,
        };
        return store.UploadAsync(key, new FileUploadSource(staging.Handle, size), upload, cancellationToken);
    }
}
