using System.Collections.Concurrent;
using BucketMount.Backends;
using BucketMount.Engine.Caching;

namespace BucketMount.Engine.Reading;

/// <summary>
/// Gets one block of an object version: from memory, else from disk, else with one ranged GET (tied to the
/// version's ETag where the store can check it). Concurrent requests for one missing block share one GET.
/// </summary>
internal sealed class BlockFetcher(IObjectStore store, MemoryBlockCache memory, DiskBlockCache disk, int blockSize)
{
    private readonly ConcurrentDictionary<BlockKey, Lazy<Task<BlockView>>> _inFlight = new();
    private readonly bool _conditionalReads = store.Capabilities.ConditionalReads;

    public int BlockSize => blockSize;

    /// <summary>True when the block is in memory or on disk already, or being fetched (so read-ahead can skip it).</summary>
    public bool IsCachedOrFetching(BlockKey block) => _inFlight.ContainsKey(block) || memory.Contains(block) || disk.Contains(block);

    /// <summary>
    /// Copies part of a block that is cached (from memory, else straight from the disk cache without taking a
    /// whole block into memory); false when it is in neither. A random reader of a file larger than the memory
    /// cache reads 4 KiB from disk per read instead of pulling 1 MiB through memory and evicting another block.
    /// </summary>
    public bool TryCopyCached(BlockKey block, int from, Span<byte> destination) =>
        (memory.Get(block) is { } cached && cached.TryCopy(from, destination)) || disk.TryReadRange(block, from, destination);

    public Task<BlockView> GetAsync(BlockKey block, CancellationToken cancellationToken) => GetAsync(block, counted: true, cancellationToken);

    /// <summary><see cref="GetAsync(BlockKey, CancellationToken)"/> after <see cref="TryCopyCached"/> missed: that look counted already.</summary>
    public Task<BlockView> GetMissedAsync(BlockKey block, CancellationToken cancellationToken) => GetAsync(block, counted: false, cancellationToken);

    private Task<BlockView> GetAsync(BlockKey block, bool counted, CancellationToken cancellationToken)
    {
        if (memory.Get(block, counted) is { } cached)
        {
            return Task.FromResult(cached);
        }

        var fetch = _inFlight.GetOrAdd(block, b => new Lazy<Task<BlockView>>(() => FetchAsync(b)));
        return fetch.Value.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Starts one ranged GET for up to <paramref name="maxBlocks"/> consecutive blocks from <paramref name="first"/>
    /// that nobody holds or fetches yet (the run stops at the first that is), and returns how many it took (0:
    /// none) and a task that completes, never faulting, when the GET is over (true when it delivered every block).
    /// Readers of those blocks wait on them as on any fetch.
    /// </summary>
    public int StartRun(ObjectVersion version, long first, int maxBlocks, out Task<bool> finished)
    {
        finished = Task.FromResult(false);
        var lastBlock = (version.Size - 1) / blockSize;
        var claimed = new List<(BlockKey Key, TaskCompletionSource<BlockView> Done)>(maxBlocks);
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
    internal TaskCompletionSource<BlockView>? TryClaim(BlockKey key)
    {
        var done = new TaskCompletionSource<BlockView>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (memory.Contains(key) || disk.Contains(key) || !_inFlight.TryAdd(key, new Lazy<Task<BlockView>>(() => done.Task)))
        {
            return null;
        }

        _ = done.Task.ContinueWith(_ => _inFlight.TryRemove(key, out var _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return done;
    }

    /// <summary>
    /// Copies <c>destination.Length</c> bytes from <paramref name="from"/> in a block a reader was handed. When the
    /// cache recycled it meanwhile, reads the block again, and after that keeps a private copy, so a cache
    /// churning faster than a reader copies still lets every read finish.
    /// </summary>
    public async ValueTask CopyAsync(BlockKey block, BlockView view, int from, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (view.TryCopy(from, destination.Span))
        {
            return;
        }

        if ((await GetAsync(block, cancellationToken).ConfigureAwait(false)).TryCopy(from, destination.Span))
        {
            return;
        }

        var data = await FetchPrivateAsync(block, cancellationToken).ConfigureAwait(false);
        data.AsSpan(from, destination.Length).CopyTo(destination.Span);
    }

    /// <summary>Caches a whole object that fits in one block, read by someone else (a lookup's small GET).</summary>
    public void KeepWhole(ObjectVersion version, byte[] data)
    {
        if (data.Length == version.Size && data.Length > 0 && data.Length <= blockSize)
        {
            Keep(new BlockKey(version, 0), new Block(data, pooled: false).View());
        }
    }

    /// <summary>A block to fill with <paramref name="block"/>'s bytes before delivering it.</summary>
    internal Block NewBlock(BlockKey block) => memory.NewBlock(LengthOf(block));

    /// <summary>Takes back a block from <see cref="NewBlock"/> that was never delivered.</summary>
    internal void Discard(Block unused) => memory.Discard(unused);

    /// <summary>Caches a claimed block received whole and wakes its waiters.</summary>
    internal void Deliver(BlockKey key, Block filled, TaskCompletionSource<BlockView> claim)
    {
        var view = filled.View();
        Keep(key, view);
        claim.TrySetResult(view);
    }

    /// <summary>Fetches a claimed block its claimant could not finish with a GET of its own; never faults.</summary>
    internal Task FetchClaimedAsync(BlockKey key, TaskCompletionSource<BlockView> claim) => FetchIntoAsync(key, claim);

    /// <summary>One GET into <paramref name="sink"/> from <paramref name="firstBlock"/> to the end, or to before <paramref name="endBlock"/> when given.</summary>
    internal Task StreamAsync(ObjectVersion version, long firstBlock, long? endBlock, Stream sink, CancellationToken cancellationToken)
    {
        var options = _conditionalReads ? new ReadOptions { IfMatch = version.ETag } : null;
        var start = firstBlock * blockSize;
        long? length = endBlock is { } end ? Math.Max(1, Math.Min(version.Size, end * blockSize) - start) : null;
        return store.ReadToAsync(version.Key, start, length, sink, options, cancellationToken);
    }

    internal int LengthOf(BlockKey block) => (int)Math.Max(0, Math.Min(blockSize, block.Version.Size - (block.Index * blockSize)));

    // The run's blocks were claimed, and a claim is refused for a block on disk: all of them need the GET.
    private async Task<bool> FetchRunAsync(List<(BlockKey Key, TaskCompletionSource<BlockView> Done)> blocks)
    {
        var first = blocks[0].Key;
        var length = blocks.Sum(b => (long)LengthOf(b.Key));
        var run = new BlockRun(blocks, NewBlock, Keep, Discard);
        try
        {
            var options = _conditionalReads ? new ReadOptions { IfMatch = first.Version.ETag } : null;
            await store.ReadToAsync(first.Version.Key, first.Index * blockSize, length, run, options, CancellationToken.None).ConfigureAwait(false);
            if (!run.Complete)
            {
                throw new ObjectStoreException(ObjectStoreErrorKind.PreconditionFailed,
                    $"the object is shorter than expected at block {first.Index}; it changed in the store.", null, first.Version.Key);
            }

            return true;
        }
        catch (Exception error)
        {
            // Waiters see the error; a later read retries the block on its own.
            run.FailRest(error);
            return false;
        }
    }

    private void Keep(BlockKey block, BlockView filled)
    {
        disk.Write(block, filled.Block.Data);
        memory.Put(block, filled);
    }

    /// <summary>The block's bytes in an array of the caller's own, from disk or the store; cached nowhere.</summary>
    private async Task<byte[]> FetchPrivateAsync(BlockKey block, CancellationToken cancellationToken)
    {
        var data = new byte[LengthOf(block)];
        if (data.Length > 0 && !disk.TryRead(block, data, out _))
        {
            await ReadFromStoreAsync(block, data, cancellationToken).ConfigureAwait(false);
        }

        return data;
    }

    private async Task ReadFromStoreAsync(BlockKey block, Memory<byte> data, CancellationToken cancellationToken)
    {
        var options = _conditionalReads ? new ReadOptions { IfMatch = block.Version.ETag } : null;
        var read = await store.ReadAsync(block.Version.Key, block.Index * blockSize, data, options, cancellationToken).ConfigureAwait(false);
        if (read != data.Length)
        {
            throw new ObjectStoreException(ObjectStoreErrorKind.PreconditionFailed,
                $"the object is shorter than expected ({read} of {data.Length} bytes at block {block.Index}); it changed in the store.", null, block.Version.Key);
        }
    }

    private async Task FetchIntoAsync(BlockKey block, TaskCompletionSource<BlockView> claim)
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
    private async Task<BlockView> FetchAsync(BlockKey block)
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

    private async Task<BlockView> FetchCoreAsync(BlockKey block)
    {
        var filled = NewBlock(block);
        if (filled.Length > 0 && !disk.TryRead(block, filled.Data, out _))
        {
            try
            {
                await ReadFromStoreAsync(block, filled.Data, CancellationToken.None).ConfigureAwait(false);
            }
            catch
            {
                memory.Discard(filled);
                throw;
            }

            var fetched = filled.View();
            Keep(block, fetched);
            return fetched;
        }

        var view = filled.View();
        memory.Put(block, view);
        return view;
    }
}
