namespace BucketMount.Engine.Caching;

/// <summary>
/// Clean blocks in memory, least recently used evicted first. The byte budget covers every block array the cache
/// answers for, not only the cached ones: blocks handed out to be filled (a GET or read-ahead in flight) and spare
/// blocks kept for reuse count too, so the arrays alive because of the cache never add up to more than the budget.
/// Counting only the cached blocks let a 64 MiB cache keep ~10 MiB more: every block in flight was a new 1 MiB
/// array while the cache was full, and the block it pushed out on arrival became garbage on the large object heap
/// until a full collection. Now a full cache hands out its least recently used block's array instead (see
/// <see cref="NewBlock"/>). A reader still copying from an evicted block learns it from its <see cref="BlockView"/>
/// and reads the block again. Small blocks (a small file's only block) are arrays of their own length.
/// </summary>
internal sealed class MemoryBlockCache
{
    private readonly object _gate = new();
    private readonly Dictionary<BlockKey, LinkedListNode<(BlockKey Key, BlockView Block)>> _index = [];
    private readonly LinkedList<(BlockKey Key, BlockView Block)> _recency = new();
    private readonly Stack<Block> _free = new();
    private readonly long _budgetBytes;
    private readonly int _blockSize;
    private readonly int _maxFree;
    private long _bytes;
    private long _lentBytes;
    private long _hits;
    private long _misses;
    private long _recycled;
    private long _allocated;

    public MemoryBlockCache(long budgetBytes, int blockSize)
    {
        _budgetBytes = budgetBytes;
        _blockSize = blockSize;

        // Steady churn needs only a few spare blocks (one evicted per one filled); more would sit idle after a large
        // file's blocks are dropped at once. Spare blocks count against the budget like cached ones.
        _maxFree = (int)Math.Clamp(budgetBytes / blockSize / 32, 2, 8);
    }

    /// <summary>Bytes of the blocks cached now.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>
    /// Bytes of every block array the cache answers for: cached, handed out to be filled and not back yet, and spare;
    /// what the budget bounds.
    /// </summary>
    public long HeldBytes
    {
        get
        {
            lock (_gate)
            {
                return HeldLocked;
            }
        }
    }

    public long BudgetBytes => _budgetBytes;

    public long Hits => Interlocked.Read(ref _hits);

    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>Blocks handed out again after eviction instead of allocated.</summary>
    public long Recycled => Interlocked.Read(ref _recycled);

    /// <summary>Full-size block arrays allocated since the start (tests: a cache churning at its budget allocates none).</summary>
    public long Allocated => Interlocked.Read(ref _allocated);

    private long HeldLocked => _bytes + _lentBytes + ((long)_free.Count * _blockSize);

    /// <summary>
    /// A block to fill with <paramref name="length"/> bytes, counted against the budget until it is cached
    /// (<see cref="Put"/>) or handed back (<see cref="Discard"/>): a spare one when full-size and one is free, else
    /// room is made first, and a full-size block evicted for it is handed out again rather than a new array.
    /// </summary>
    public Block NewBlock(int length)
    {
        var pooled = length == _blockSize;
        lock (_gate)
        {
            if ((TakeSpareLocked(pooled) ?? MakeRoomLocked(length, reuse: pooled)) is { } reused)
            {
                reused.Lend();
                _lentBytes += length;
                return reused;
            }

            // Counted before the array exists, so concurrent callers see the room as taken.
            _lentBytes += length;
            _allocated += pooled ? 1 : 0;
        }

        return new Block(new byte[length], pooled, lent: true);
    }

    /// <summary>Takes back a block from <see cref="NewBlock"/> that was never cached (a failed or abandoned fetch).</summary>
    public void Discard(Block block)
    {
        lock (_gate)
        {
            EndLoanLocked(block);
            Recycle(block);
        }
    }

    /// <param name="counted">False for a second look by a reader whose first one was counted already.</param>
    public BlockView? Get(BlockKey key, bool counted = true)
    {
        lock (_gate)
        {
            if (_index.TryGetValue(key, out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                _hits += counted ? 1 : 0;
                return node.Value.Block;
            }

            _misses += counted ? 1 : 0;
            return null;
        }
    }

    /// <summary>True when the block is cached; unlike <see cref="Get"/> it counts no hit or miss and keeps recency.</summary>
    public bool Contains(BlockKey key)
    {
        lock (_gate)
        {
            return _index.ContainsKey(key);
        }
    }

    /// <summary>Caches a filled block, evicting the least recently used beyond the budget.</summary>
    public void Put(BlockKey key, BlockView block)
    {
        lock (_gate)
        {
            EndLoanLocked(block.Block);
            if (block.Length > _budgetBytes)
            {
                return;
            }

            if (_index.Remove(key, out var existing))
            {
                // The same block put again under its key is still in use.
                Evict(existing, recycle: !ReferenceEquals(existing.Value.Block.Block, block.Block));
            }

            _index[key] = _recency.AddFirst((key, block));
            _bytes += block.Length;
            MakeRoomLocked(0, reuse: false);
        }
    }

    /// <summary>Drops every block of one object version (after a delete or an overwrite by us).</summary>
    public void Remove(ObjectVersion version)
    {
        lock (_gate)
        {
            var node = _recency.First;
            while (node is not null)
            {
                var next = node.Next;
                if (node.Value.Key.Version == version)
                {
                    _index.Remove(node.Value.Key);
                    Evict(node, recycle: true);
                }

                node = next;
            }
        }
    }

    private void Evict(LinkedListNode<(BlockKey Key, BlockView Block)> node, bool recycle)
    {
        _recency.Remove(node);
        _bytes -= node.Value.Block.Length;
        if (recycle)
        {
            Recycle(node.Value.Block.Block);
        }
    }

    private Block? TakeSpareLocked(bool pooled)
    {
        if (!pooled || !_free.TryPop(out var spare))
        {
            return null;
        }

        _recycled++;
        return spare;
    }

    /// <summary>
    /// Drops spare blocks, then evicts the least recently used, until <paramref name="needed"/> more bytes fit in the
    /// budget; with <paramref name="reuse"/>, returns the first full-size block evicted on the way (to fill again
    /// instead of allocating). Blocks on loan cannot be evicted: with all of the budget lent, nothing is left to do.
    /// </summary>
    private Block? MakeRoomLocked(long needed, bool reuse)
    {
        while (HeldLocked + needed > _budgetBytes)
        {
            if (_free.TryPop(out _))
            {
                // Beyond the budget a spare block is left to the garbage collector.
                continue;
            }

            if (_recency.Last is not { } oldest)
            {
                return null;
            }

            _index.Remove(oldest.Value.Key);
            Evict(oldest, recycle: true);
            if (reuse && TakeSpareLocked(pooled: true) is { } evicted)
            {
                return evicted;
            }
        }

        return null;
    }

    private void EndLoanLocked(Block block)
    {
        if (block.EndLoan())
        {
            _lentBytes -= block.Length;
        }
    }

    private void Recycle(Block block)
    {
        if (!block.Pooled)
        {
            return;
        }

        // Before anyone can write into it again: views taken so far now fail their copies.
        block.Invalidate();

        // Kept only within the budget: a spare block counts as held.
        if (_free.Count < _maxFree && HeldLocked + _blockSize <= _budgetBytes)
        {
            _free.Push(block);
        }
    }
}
