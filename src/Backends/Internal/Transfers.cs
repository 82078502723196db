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

    /// <summary>Deletes keys one at a time, collecting the ones that fail (stores without a batch delete).</summary>
    public static async Task<IReadOnlyList<DeleteFailure>> DeleteEachAsync(IObjectStore store, IReadOnlyList<string> keys, int parallelism, CancellationToken cancellationToken)
    {
        var failures = new List<DeleteFailure>();
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken }, async (key, ct) =>
        {
            try
            {
                await store.DeleteAsync(key, ct).ConfigureAwait(false);
            }
            catch (ObjectStoreException e)
            {
                lock (failures)
                {
                    failures.Add(new DeleteFailure(key, e));
                }
            }
        }).ConfigureAwait(false);
        return failures;
    }
}
