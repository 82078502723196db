namespace BucketMount.Engine.Caching;

/// <summary>
/// Clean blocks in memory, least recently used evicted first, never more than its byte budget. Blocks are
/// immutable arrays handed out by reference: an evicted block stays valid for a reader still copying from it.
/// </summary>
public sealed class MemoryBlockCache(long budgetBytes)
{
    private readonly object _gate = new();
    private readonly Dictionary<BlockKey, LinkedListNode<(BlockKey Key, byte[] Data)>> _index = [];
    private readonly LinkedList<(BlockKey Key, byte[] Data)> _recency = new();
    private long _bytes;
    private long _hits;
    private long _misses;

    public long Bytes => Interlocked.Read(ref _bytes);

    public long BudgetBytes => budgetBytes;

    public long Hits => Interlocked.Read(ref _hits);

    public long Misses => Interlocked.Read(ref _misses);

    public byte[]? Get(BlockKey key)
    {
        lock (_gate)
        {
            if (_index.TryGetValue(key, out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                _hits++;
                return node.Value.Data;
            }

            _misses++;
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

    public void Put(BlockKey key, byte[] data)
    {
        if (data.Length > budgetBytes)
        {
            return;
        }

        lock (_gate)
        {
            if (_index.Remove(key, out var existing))
            {
                _recency.Remove(existing);
                _bytes -= existing.Value.Data.Length;
            }

            _index[key] = _recency.AddFirst((key, data));
            _bytes += data.Length;
            while (_bytes > budgetBytes && _recency.Last is { } oldest)
            {
                _recency.RemoveLast();
                _index.Remove(oldest.Value.Key);
                _bytes -= oldest.Value.Data.Length;
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
                    _recency.Remove(node);
                    _index.Remove(node.Value.Key);
                    _bytes -= node.Value.Data.Length;
                }

                node = next;
            }
        }
    }
}
