using BucketMount.Engine.Caching;

namespace BucketMount.Engine.Reading;

/// <summary>
/// Reads byte ranges of an object version through the block caches, and prefetches ahead of sequential readers
/// with parallel ranged GETs so one reader approaches the store's throughput.
/// </summary>
public sealed class ObjectReader(BlockFetcher fetcher, int readAheadParallelism)
{
    private readonly SemaphoreSlim _prefetchSlots = new(readAheadParallelism * 4, readAheadParallelism * 4);

    /// <summary>Reads up to <c>destination.Length</c> bytes at <paramref name="offset"/>; fewer only at the end.</summary>
    public async Task<int> ReadAsync(ObjectVersion version, long offset, Memory<byte> destination, ReadAheadState? readAhead, CancellationToken cancellationToken)
    {
        var end = Math.Min(version.Size, offset + destination.Length);
        if (offset >= end)
        {
            return 0;
        }

        var blockSize = fetcher.BlockSize;
        var first = offset / blockSize;
        var last = (end - 1) / blockSize;

        // Start every block of this read at once, then prefetch ahead, then copy in order.
        var blocks = new Task<byte[]>[last - first + 1];
        for (var i = first; i <= last; i++)
        {
            blocks[i - first] = fetcher.GetAsync(new BlockKey(version, i), cancellationToken);
        }

        if (readAhead?.OnRead(offset, (int)(end - offset)) is > 0 and var window)
        {
            Prefetch(version, last + 1, Math.Min((end + window - 1) / blockSize, (version.Size - 1) / blockSize));
        }

        var copied = 0;
        for (var i = first; i <= last; i++)
        {
            var data = await blocks[i - first].ConfigureAwait(false);
            var blockStart = i * blockSize;
            var from = (int)Math.Max(0, offset - blockStart);
            var to = (int)Math.Min(data.Length, end - blockStart);
            data.AsSpan(from, to - from).CopyTo(destination.Span[copied..]);
            copied += to - from;
        }

        return copied;
    }

    private void Prefetch(ObjectVersion version, long firstBlock, long lastBlock)
    {
        for (var i = firstBlock; i <= lastBlock; i++)
        {
            var block = new BlockKey(version, i);
            if (fetcher.IsCachedOrFetching(block) || !_prefetchSlots.Wait(0))
            {
                continue;
            }

            _ = PrefetchOneAsync(block);
        }
    }

    private async Task PrefetchOneAsync(BlockKey block)
    {
        try
        {
            await fetcher.GetAsync(block, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // A failed prefetch is retried by the real read that needs the block, which reports the error.
        }
        finally
        {
            _prefetchSlots.Release();
        }
    }
}
