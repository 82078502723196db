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

    /// <summary>
    /// Starts one ranged GET for up to <paramref name="maxBlocks"/> consecutive blocks from <paramref name="first"/>
    /// that nobody holds or fetches yet (the run stops at the first that is), and returns how many it took (0:
    /// none) and a task that completes, never faulting, when the GET is over. Readers of those blocks wait on
    /// them as on any fetch.
    /// </summary>
    public int StartRun(ObjectVersion version, long first, int maxBlocks, out Task finished)
    {
        finished = Task.CompletedTask;
        var lastBlock = (version.Size - 1) / blockSize;
        var claimed = new List<(BlockKey Key, TaskCompletionSource<byte[]> Done)>(maxBlocks);
        for (var index = first; index < first + maxBlocks && index <= lastBlock; index++)
        {
            var key = new BlockKey(version, index);
            if (TryClaim(key) is not { } done)
            {
                break;
            }

            claimed.Add((key, done));
        }

        if (claimed.Count > 0)
        {
            finished = FetchRunAsync(claimed);
        }

        return claimed.Count;
    }

    /// <summary>
    /// Claims one block for a caller that will deliver it (<see cref="Deliver"/>) or hand it back
    /// (<see cref="FetchClaimedAsync"/>); readers wait on the claim as on any fetch. Null when it is cached or being fetched.
    /// </summary>
    internal TaskCompletionSource<byte[]>? TryClaim(BlockKey key)
    {
        var done = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (memory.Contains(key) || !_inFlight.TryAdd(key, new Lazy<Task<byte[]>>(() => done.Task)))
        {
            return null;
        }

        _ = done.Task.ContinueWith(_ => _inFlight.TryRemove(key, out var _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return done;
    }

    /// <summary>Caches a whole object that fits in one block, read by someone else (a lookup's small GET).</summary>
    public void KeepWhole(ObjectVersion version, byte[] data)
    {
        if (data.Length == version.Size && data.Length > 0 && data.Length <= blockSize)
        {
            Keep(new BlockKey(version, 0), data);
        }
    }

    /// <summary>Caches a claimed block received whole and wakes its waiters.</summary>
    internal void Deliver(BlockKey key, byte[] data, TaskCompletionSource<byte[]> claim)
    {
        Keep(key, data);
        claim.TrySetResult(data);
    }

    /// <summary>Fetches a claimed block its claimant could not finish with a GET of its own; never faults.</summary>
    internal Task FetchClaimedAsync(BlockKey key, TaskCompletionSource<byte[]> claim) => FetchIntoAsync(key, claim);

    /// <summary>One GET into <paramref name="sink"/> from <paramref name="firstBlock"/> to the end, or to before <paramref name="endBlock"/> when given.</summary>
    internal Task StreamAsync(ObjectVersion version, long firstBlock, long? endBlock, Stream sink, CancellationToken cancellationToken)
    {
        var options = _conditionalReads ? new ReadOptions { IfMatch = version.ETag } : null;
        var start = firstBlock * blockSize;
        long? length = endBlock is { } end ? Math.Max(1, Math.Min(version.Size, end * blockSize) - start) : null;
        return store.ReadToAsync(version.Key, start, length, sink, options, cancellationToken);
    }

    internal int LengthOf(BlockKey block) => (int)Math.Max(0, Math.Min(blockSize, block.Version.Size - (block.Index * blockSize)));

    private async Task FetchRunAsync(List<(BlockKey Key, TaskCompletionSource<byte[]> Done)> blocks)
    {
        // Blocks already on disk are served from there; the GET covers the rest of the run from its first missing block.
        var start = 0;
        while (start < blocks.Count && TryReadDisk(blocks[start].Key) is { } onDisk)
        {
            memory.Put(blocks[start].Key, onDisk);
            blocks[start].Done.TrySetResult(onDisk);
            start++;
        }

        if (start == blocks.Count)
        {
            return;
        }

        var rest = blocks.GetRange(start, blocks.Count - start);
        var first = rest[0].Key;
        var length = rest.Sum(b => (long)LengthOf(b.Key));
        var run = new BlockRun(rest, LengthOf, Keep);
        try
        {
            var options = _conditionalReads ? new ReadOptions { IfMatch = first.Version.ETag } : null;
            await store.ReadToAsync(first.Version.Key, first.Index * blockSize, length, run, options, CancellationToken.None).ConfigureAwait(false);
            if (!run.Complete)
            {
                throw new ObjectStoreException(ObjectStoreErrorKind.PreconditionFailed,
                    $"the object is shorter than expected at block {first.Index}; it changed in the store.", null, first.Version.Key);
            }
        }
        catch (Exception error)
        {
            // Waiters see the error; a later read retries the block on its own.
            run.FailRest(error);
        }
    }

    private byte[]? TryReadDisk(BlockKey block)
    {
        var data = new byte[LengthOf(block)];
        return disk.TryRead(block, data, out _) ? data : null;
    }

    private void Keep(BlockKey block, byte[] data)
    {
        disk.Write(block, data);
        memory.Put(block, data);
    }

    private async Task FetchIntoAsync(BlockKey block, TaskCompletionSource<byte[]> claim)
    {
        try
        {
            claim.TrySetResult(await FetchCoreAsync(block).ConfigureAwait(false));
        }
        catch (Exception error)
        {
            claim.TrySetException(error);
        }
    }

    // Not tied to one caller's token: other readers may be waiting on the same block.
    private async Task<byte[]> FetchAsync(BlockKey block)
    {
        try
        {
            return await FetchCoreAsync(block).ConfigureAwait(false);
        }
        finally
        {
            _inFlight.TryRemove(block, out _);
        }
    }

    private async Task<byte[]> FetchCoreAsync(BlockKey block)
    {
        var length = LengthOf(block);
        var data = new byte[length];
        if (length > 0 && !disk.TryRead(block, data, out _))
        {
            var options = _conditionalReads ? new ReadOptions { IfMatch = block.Version.ETag } : null;
            var read = await store.ReadAsync(block.Version.Key, block.Index * blockSize, data, options, CancellationToken.None).ConfigureAwait(false);
            if (read != length)
            {
                throw new ObjectStoreException(ObjectStoreErrorKind.PreconditionFailed,
                    $"the object is shorter than expected ({read} of {length} bytes at block {block.Index}); it changed in the store.", null, block.Version.Key);
            }

            Keep(block, data);
            return data;
        }

        memory.Put(block, data);
        return data;
    }
}
