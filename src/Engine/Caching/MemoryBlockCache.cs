namespace BucketMount.Engine.Caching;

/// <summary>
/// Clean blocks in memory, least recently used evicted first, never more than its byte budget. Full-size blocks
/// come from here (<see cref="NewBlock"/>) and go back to a small free list when evicted, so a churning cache
/// reuses its arrays instead of leaving the garbage collector hundreds of MiB of dead ones. A reader still copying
/// from an evicted block learns it from its <see cref="BlockView"/> and reads the block again.
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
    private long _hits;
    private long _misses;
    private long _recycled;

    public MemoryBlockCache(long budgetBytes, int blockSize)
    {
        _budgetBytes = budgetBytes;
        _blockSize = blockSize;

        // Steady churn needs only a few spare blocks (one evicted per one filled); more would be memory kept
        // outside the budget after a large file's blocks are dropped at once, or replaced by small files' blocks
        // (a 64 MiB cache kept 8 MiB of spare blocks beside its budget after a tree of small files was read).
        _maxFree = (int)Math.Clamp(budgetBytes / blockSize / 32, 2, 8);
    }

    public long Bytes => Interlocked.Read(ref _bytes);

    public long BudgetBytes => _budgetBytes;

    public long Hits => Interlocked.Read(ref _hits);

    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>Blocks handed out again after eviction instead of allocated.</summary>
    public long Recycled => Interlocked.Read(ref _recycled);

    /// <summary>
    /// A block to fill with <paramref name="length"/> bytes: a recycled one when full-size and one is free. Give it
    /// back with <see cref="Discard"/> if it is never published.
    /// </summary>
    public Block NewBlock(int length)
    {
        if (length != _blockSize)
        {
            return new Block(new byte[length], pooled: false);
        }

        lock (_gate)
        {
            if (_free.TryPop(out var block))
            {
                _recycled++;
                return block;
            }
        }

        return new Block(new byte[length], pooled: true);
    }

    /// <summary>Takes back a block from <see cref="NewBlock"/> that nobody else has seen (a failed fetch).</summary>
    public void Discard(Block block)
    {
        lock (_gate)
        {
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
        if (block.Length > _budgetBytes)
        {
            return;
        }

        lock (_gate)
        {
            if (_index.Remove(key, out var existing))
            {
                // The same block put again under its key is still in use.
                Evict(existing, recycle: !ReferenceEquals(existing.Value.Block.Block, block.Block));
            }

            _index[key] = _recency.AddFirst((key, block));
            _bytes += block.Length;
            while (_bytes > _budgetBytes && _recency.Last is { } oldest)
            {
                _index.Remove(oldest.Value.Key);
                Evict(oldest, recycle: true);
            }
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

    private void Recycle(Block block)
    {
        if (!block.Pooled)
        {
            return;
        }

        // Before anyone can write into it again: views taken so far now fail their copies.
        block.Invalidate();
        if (_free.Count < _maxFree)
        {
            _free.Push(block);
        }
    }
}
