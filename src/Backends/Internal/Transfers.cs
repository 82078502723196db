using System.Buffers;

namespace BucketMount.Backends.Internal;

/// <summary>Byte-moving loops the network stores share: filling a caller's buffer, streaming with counting, one-by-one deletes.</summary>
public static class Transfers
{
    private const int Chunk = 128 * 1024;

    /// <summary>Reads from a response body until the buffer is full or the body ends; counts the bytes downloaded.</summary>
    public static async Task<int> FillAsync(Stream source, Memory<byte> buffer, StoreCounters counters, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await source.ReadAsync(buffer[total..], cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        counters.AddDownloaded(total);
        return total;
    }

    /// <summary>Streams a response body to a destination with a pooled buffer; counts the bytes downloaded.</summary>
    public static async Task<long> CopyAsync(Stream source, Stream destination, StoreCounters counters, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Chunk);
        try
        {
            long total = 0;
            int read;
            while ((read = await source.ReadAsync(buffer.AsMemory(0, Chunk), cancellationToken).ConfigureAwait(false)) > 0)
            {
                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                total += read;
                counters.AddDownloaded(read);
            }

            return total;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads exactly <c>buffer.Length</c> bytes of an upload source, failing if it is shorter than it said.</summary>
    public static async Task<int> ReadExactlyAsync(IUploadSource source, long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await source.ReadAtAsync(offset + total, buffer[total..], cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument, $"the upload source ended at byte {offset + total} but said it holds {source.Length}.");
            }

            total += read;
        }

        return total;
    }

    /// <summary>A signed request needs its length: a stream that cannot seek is read into memory first.</summary>
    public static async Task<Stream> SeekableAsync(Stream content, CancellationToken cancellationToken)
    {
        if (content.CanSeek)
        {
            return content;
        }

        var buffer = new MemoryStream();
        await content.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        buffer.Position = 0;
        return buffer;
    }

    /// <summary>
    /// Deletes keys with single requests, <paramref name="parallelism"/> at a time (stores without a batch delete),
    /// collecting the ones that fail. Keys that failed transiently get one more try each, one at a time: some
    /// servers race on parallel deletes in one folder (s3rver answers 1 in ~500 with InternalError).
    /// </summary>
    public static async Task<IReadOnlyList<DeleteFailure>> DeleteEachAsync(IObjectStore store, IReadOnlyList<string> keys, int parallelism, CancellationToken cancellationToken)
    {
        var failures = new List<DeleteFailure>();
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken }, async (key, ct) =>
        {
            if (await TryDeleteAsync(store, key, ct).ConfigureAwait(false) is { } failure)
            {
                lock (failures)
                {
                    failures.Add(failure);
                }
            }
        }).ConfigureAwait(false);
        if (parallelism == 1 || failures.Count == 0)
        {
            return failures;
        }

        var remaining = new List<DeleteFailure>();
        foreach (var failure in failures)
        {
            if ((failure.Error.IsRetryable ? await TryDeleteAsync(store, failure.Key, cancellationToken).ConfigureAwait(false) : failure) is { } again)
            {
                remaining.Add(again);
            }
        }

        return remaining;
    }

    private static async Task<DeleteFailure?> TryDeleteAsync(IObjectStore store, string key, CancellationToken cancellationToken)
    {
        try
        {
            await store.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (ObjectStoreException e)
        {
            return new DeleteFailure(key, e);
        }
    }
}
