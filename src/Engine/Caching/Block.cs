namespace BucketMount.Engine.Caching;

/// <summary>
/// The bytes of one cache block. Full-size blocks are recycled after eviction (see <see cref="MemoryBlockCache"/>)
/// instead of left to the garbage collector: a 1 MiB array lives on the large object heap, and with the cache
/// churning, freed blocks piled up there between full collections (the process grew ~40% past its cache budget).
/// Readers take no reference: a <see cref="BlockView"/> remembers the block's generation, which recycling bumps,
/// and a copy out of it counts only if the generation is unchanged afterwards (a sequence lock).
/// </summary>
internal sealed class Block
{
    private int _generation;

    // True from the cache's NewBlock until the block is cached or handed back: counted against the budget meanwhile.
    private bool _lent;

    internal Block(byte[] data, bool pooled, bool lent = false)
    {
        Data = data;
        Pooled = pooled;
        _lent = lent;
    }

    /// <summary>The block's bytes; only whoever filled a block before publishing it writes here.</summary>
    public byte[] Data { get; }

    public int Length => Data.Length;

    /// <summary>True for a block the cache recycles once evicted.</summary>
    internal bool Pooled { get; }

    /// <summary>A view of the block as it is now: published after the block was filled.</summary>
    public BlockView View() => new(this, Volatile.Read(ref _generation));

    /// <summary>Tells every view taken before that the bytes may change under it from now on.</summary>
    internal void Invalidate() => Interlocked.Increment(ref _generation);

    internal int Generation => Volatile.Read(ref _generation);

    /// <summary>Marks the block as handed out to be filled; only the cache calls this, under its lock.</summary>
    internal void Lend() => _lent = true;

    /// <summary>Ends the loan once (cached or handed back); false when the block was not on loan. Under the cache's lock.</summary>
    internal bool EndLoan()
    {
        var wasLent = _lent;
        _lent = false;
        return wasLent;
    }
}

/// <summary>A block as it was when published; copies out of it fail once the block was recycled.</summary>
internal readonly struct BlockView(Block block, int generation)
{
    public int Length => block.Length;

    internal Block Block => block;

    /// <summary>
    /// Copies <c>destination.Length</c> bytes from <paramref name="from"/>; false when the block was recycled
    /// meanwhile, and then the destination holds bytes that must not be used.
    /// </summary>
    public bool TryCopy(int from, Span<byte> destination)
    {
        if (block.Generation != generation)
        {
            return false;
        }

        block.Data.AsSpan(from, destination.Length).CopyTo(destination);

        // The copy's loads must not move after the check below (a recycler bumps the generation before writing).
        Interlocked.MemoryBarrier();
        return block.Generation == generation;
    }
}
