using BucketMount.Backends;

namespace BucketMount.Engine.Writing;

/// <summary>Sends one staging file to the store: one PUT when it fits in a part, parallel parts when larger.</summary>
internal sealed class Uploader(IObjectStore store, long partSize, int partConcurrency)
{
    /// <param name="lastByteRead">
    /// For a multipart upload: called as the read of the file's last byte completes, before those bytes are sent;
    /// it may throw to stop the upload. No completing request can be sent before it.
    /// </param>
    public Task<ObjectInfo> TransferAsync(string key, StagingFile staging, long size, IReadOnlyDictionary<string, string> metadata,
        string? ifMatch, bool ifNoneMatch, Action? lastByteRead, CancellationToken cancellationToken)
    {
        var conditional = store.Capabilities.ConditionalWrites;
        ifMatch = conditional ? ifMatch : null;
        ifNoneMatch = conditional && ifNoneMatch;
        if (size <= partSize)
        {
            var stream = new UploadSourceStream(staging.Source(size), 0, size);
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
        var source = staging.Source(size);
        return store.UploadAsync(key, lastByteRead is null ? source : new LastByteWatch(source, lastByteRead), upload, cancellationToken);
    }

    /// <summary>Reports every read that reaches the source's end (again if the last part is retried; the callback is idempotent).</summary>
    private sealed class LastByteWatch(IUploadSource inner, Action lastByteRead) : IUploadSource
    {
        public long Length => inner.Length;

        public async ValueTask<int> ReadAtAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
        {
            var read = await inner.ReadAtAsync(offset, buffer, cancellationToken).ConfigureAwait(false);
            if (offset + read >= inner.Length)
            {
                lastByteRead();
            }

            return read;
        }

        public int ReadAt(long offset, Span<byte> buffer)
        {
            var read = inner.ReadAt(offset, buffer);
            if (offset + read >= inner.Length)
            {
                lastByteRead();
            }

            return read;
        }
    }
}
