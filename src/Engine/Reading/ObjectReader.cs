using BucketMount.Engine.Caching;

namespace BucketMount.Engine.Reading;

/// <summary>
/// Reads byte ranges of an object version through the block caches, and prefetches ahead of sequential readers
/// with parallel ranged GETs so one reader approaches the store's throughput. Read-ahead asks for runs of blocks
/// in one GET each, the runs growing with the window up to <paramref name="maxRunBlocks"/>: few requests for a
/// long sequential read, one block per request for random reads.
/// </summary>
public sealed class ObjectReader(BlockFetcher fetcher, int readAheadParallelism, int maxRunBlocks = 1)
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
            var runBlocks = (int)Math.Clamp(window / 2 / blockSize, 1, maxRunBlocks);
            Prefetch(version, last + 1, Math.Min((end + window - 1) / blockSize, (version.Size - 1) / blockSize), runBlocks);
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

    /// <summary>
    /// Starts runs of up to <paramref name="runBlocks"/> missing blocks in [first, last]. A shorter run at the
    /// window's edge waits for the window to move on, so steady reading keeps issuing whole runs; at the end of
    /// the object, or against cached blocks, short runs go out as they are.
    /// </summary>
    private void Prefetch(ObjectVersion version, long first, long last, int runBlocks)
    {
        var objectLast = (version.Size - 1) / fetcher.BlockSize;
        var index = first;
        while (index <= last)
        {
            if (fetcher.IsCachedOrFetching(new BlockKey(version, index)))
            {
                index++;
                continue;
            }

            var missing = 1;
            while (missing < runBlocks && index + missing <= last && !fetcher.IsCachedOrFetching(new BlockKey(version, index + missing)))
            {
                missing++;
            }

            var cutByWindow = missing < runBlocks && index + missing > last && last < objectLast;
            if (cutByWindow || !_prefetchSlots.Wait(0))
            {
                return;
            }

            var started = fetcher.StartRun(version, index, missing, out var finished);
            if (started == 0)
            {
                _prefetchSlots.Release();
                index++;
                continue;
            }

            _ = ReleaseSlotAsync(finished);
            index += started;
        }
    }

    private async Task ReleaseSlotAsync(Task finished)
    {
        try
        {
            await finished.ConfigureAwait(false);
        }
        finally
        {
            _prefetchSlots.Release();
        }
    }
}
