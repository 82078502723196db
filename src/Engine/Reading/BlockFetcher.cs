using System.Collections.Concurrent;
using BucketMount.Backends;
using BucketMount.Engine.Caching;

namespace BucketMount.Engine.Reading;

/// <summary>
/// Gets one block of an object version: from memory, else from disk, else with one ranged GET (tied to the
/// version's ETag where the store can check it). Concurrent requests for one missing block share one GET.
/// </summary>
public sealed class BlockFetcher(IObjectStore store, MemoryBlockCache memory, DiskBlockCache disk, int blockSize)
{
    private readonly ConcurrentDictionary<BlockKey, Lazy<Task<byte[]>>> _inFlight = new();
    private readonly bool _conditionalReads = store.Capabilities.ConditionalReads;

    public int BlockSize => blockSize;

    /// <summary>True when the block is in memory or on disk already (so read-ahead can skip it).</summary>
    public bool IsCachedOrFetching(BlockKey block) => _inFlight.ContainsKey(block) || memory.Contains(block);

    public Task<byte[]> GetAsync(BlockKey block, CancellationToken cancellationToken)
    {
        if (memory.Get(block) is { } cached)
        {
            return Task.FromResult(cached);
        }

        var fetch = _inFlight.GetOrAdd(block, b => new Lazy<Task<byte[]>>(() => FetchAsync(b)));
        return fetch.Value.WaitAsync(cancellationToken);
    }

    // Not tied to one caller's token: other readers may be waiting on the same block.
    private async Task<byte[]> FetchAsync(BlockKey block)
    {
        try
        {
            var length = (int)Math.Min(blockSize, block.Version.Size - (block.Index * blockSize));
            var data = new byte[Math.Max(length, 0)];
            if (length > 0 && !disk.TryRead(block, data, out _))
            {
                var options = _conditionalReads ? new ReadOptions { IfMatch = block.Version.ETag } : null;
                var read = await store.ReadAsync(block.Version.Key, block.Index * blockSize, data, options, CancellationToken.None).ConfigureAwait(false);
                if (read != length)
                {
                    throw new ObjectStoreException(ObjectStoreErrorKind.PreconditionFailed,
                        $"the object is shorter than expected ({read} of {length} bytes at block {block.Index}); it changed in the store.", null, block.Version.Key);
                }

                disk.Write(block, data);
            }

            memory.Put(block, data);
            return data;
        }
        finally
        {
            _inFlight.TryRemove(block, out _);
        }
    }
}
