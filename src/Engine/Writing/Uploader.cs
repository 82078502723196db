using BucketMount.Backends;

namespace BucketMount.Engine.Writing;

/// <summary>
/// Sends one staging file to the store: one PUT when it fits in a part, parallel parts when larger (recorded in the
/// ledger while they are sent, so a crash leaves none behind).
/// </summary>
internal sealed class Uploader(IObjectStore store, long partSize, int partConcurrency, PartUploadLedger ledger)
{
    /// <summary>Where uploads in parts are recorded while they run (streamed uploads use it too).</summary>
    public PartUploadLedger Ledger => ledger;

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

        var source = staging.Source(size);
        return TransferInPartsAsync(key, lastByteRead is null ? source : new LastByteWatch(source, lastByteRead), metadata, ifMatch, ifNoneMatch, cancellationToken);
    }

    private async Task<ObjectInfo> TransferInPartsAsync(string key, IUploadSource source, IReadOnlyDictionary<string, string> metadata,
        string? ifMatch, bool ifNoneMatch, CancellationToken cancellationToken)
    {
        // A retry begins the upload anew: each begun upload has its own ticket. The store ends each one itself,
        // completed or aborted, before UploadAsync returns.
        var tickets = new List<long?>();
        var upload = new UploadOptions
        {
            Metadata = metadata,
            IfMatch = ifMatch,
            IfNoneMatch = ifNoneMatch,
            PartSize = Math.Max(partSize, (source.Length / Math.Max(1, store.Capabilities.MaxPartCount - 1)) + 1),
            Concurrency = partConcurrency,
            PartUploadBegun = uploadId =>
            {
                var ticket = ledger.Began(key, uploadId);
                lock (tickets)
                {
                    tickets.Add(ticket);
                }
            },
        };
        try
        {
            return await store.UploadAsync(key, source, upload, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (tickets)
            {
                tickets.ForEach(ledger.Ended);
            }
        }
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
