using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace BucketMount.Engine.Caching;

/// <summary>
/// Clean blocks on local disk, surviving restarts: one file per cached block, named by a hash of the object version
/// (key, ETag, size) and the block's index. The budget is a hard cap on those files: room for a block is made
/// (least recently used blocks first, of any version, the one being read included) before its bytes are written,
/// so reading an object far larger than the budget keeps the folder within it. Each block counts its own length
/// rounded up to the file system's 4 KiB allocation unit, what it really takes on disk: counted as a whole block, a
/// tree of small files (node_modules, a git checkout) filled a 10 GiB budget with ~10k files. Dirty data never
/// lives here (it is in staging files), so eviction can only ever drop clean, re-fetchable bytes.
/// </summary>
internal sealed class DiskBlockCache : IDisposable
{
    private const string BlockSuffix = ".block";
    private const string PartialSuffix = ".partial";
    private const int AllocationUnit = 4096;

    private readonly string _folder;
    private readonly int _blockSize;
    private readonly long _budgetBytes;
    private readonly object _gate = new();

    // Every cached block, least recently used first, and the same nodes by version and index.
    private readonly LinkedList<CachedBlock> _lru = new();
    private readonly Dictionary<string, Dictionary<long, LinkedListNode<CachedBlock>>> _versions = new(StringComparer.Ordinal);

    // Cached blocks plus blocks being written: a write reserves its room first, so this never exceeds the budget.
    private long _bytes;

    public DiskBlockCache(string folder, int blockSize, long budgetBytes)
    {
        _folder = folder;
        _blockSize = blockSize;
        _budgetBytes = budgetBytes;
        Directory.CreateDirectory(folder);
        LoadExisting();
    }

    public long Bytes => Interlocked.Read(ref _bytes);

    public long BudgetBytes => _budgetBytes;

    /// <summary>Copies a cached block into <paramref name="destination"/>; false when it is not cached.</summary>
    public bool TryRead(BlockKey block, Span<byte> destination, out int length)
    {
        length = BlockLength(block);
        return TryReadRange(block, 0, destination[..length]);
    }

    /// <summary>
    /// Copies <c>destination.Length</c> bytes from <paramref name="from"/> within a cached block; false when it is
    /// not cached. A random 4 KiB read costs a 4 KiB read here, not a whole block's.
    /// </summary>
    public bool TryReadRange(BlockKey block, int from, Span<byte> destination)
    {
        if (_budgetBytes == 0 || from + destination.Length > BlockLength(block))
        {
            return false;
        }

        var name = FileName(block.Version);
        lock (_gate)
        {
            if (FindLocked(name, block.Index) is not { } node)
            {
                return false;
            }

            TouchLocked(node);
        }

        // Read outside the lock: readers of different blocks never wait for each other's disk I/O. A block evicted
        // meanwhile is either still readable through the open handle or gone, which is just a miss.
        try
        {
            using var handle = File.OpenHandle(BlockPath(name, block.Index), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return RandomAccess.Read(handle, destination, from) == destination.Length;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>True when the block is cached here (it may be evicted a moment later: a hint, not a promise).</summary>
    public bool Contains(BlockKey block)
    {
        if (_budgetBytes == 0)
        {
            return false;
        }

        var name = FileName(block.Version);
        lock (_gate)
        {
            return FindLocked(name, block.Index) is not null;
        }
    }

    /// <summary>Stores a block just fetched from the store, evicting the least recently used blocks to stay within budget.</summary>
    public void Write(BlockKey block, ReadOnlySpan<byte> data)
    {
        if (_budgetBytes < _blockSize)
        {
            return;
        }

        var name = FileName(block.Version);
        lock (_gate)
        {
            if (FindLocked(name, block.Index) is { } cached)
            {
                TouchLocked(cached);
                return;
            }

            if (!TryReserveLocked(Charge(data.Length)))
            {
                // Every byte of the budget is being written by other readers right now: this block goes uncached.
                return;
            }
        }

        // Written outside the lock to a file of its own, and renamed into place (so marked present) only once its
        // bytes are on disk: a crash leaves a partial file, which the next start deletes, never a torn block.
        var path = BlockPath(name, block.Index);
        var partial = $"{path}.{Guid.NewGuid():N}{PartialSuffix}";
        try
        {
            using (var handle = File.OpenHandle(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                RandomAccess.Write(handle, data, 0);
            }

            lock (_gate)
            {
                if (FindLocked(name, block.Index) is not null)
                {
                    // Another reader cached the same block meanwhile.
                    _bytes -= Charge(data.Length);
                    TryDelete(partial);
                    return;
                }

                File.Move(partial, path, overwrite: true);
                AddLocked(name, block.Index, Charge(data.Length));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A full or failing cache disk costs speed, never correctness: the block is simply not cached, and its
            // reserved room is given back.
            lock (_gate)
            {
                _bytes -= Charge(data.Length);
            }

            TryDelete(partial);
        }
    }

    /// <summary>
    /// Takes <paramref name="file"/>, holding exactly the bytes of <paramref name="block"/>, as that cached block by
    /// renaming it into the folder (an upload's staging copy: its bytes are already on disk, so they are not
    /// written again). Room is made first, as for <see cref="Write"/>. False when the block cannot be kept (no
    /// room, already cached, the rename failed): the file is then still the caller's.
    /// </summary>
    public bool Adopt(BlockKey block, string file)
    {
        if (_budgetBytes < _blockSize)
        {
            return false;
        }

        var name = FileName(block.Version);
        var charge = Charge(BlockLength(block));
        lock (_gate)
        {
            if (FindLocked(name, block.Index) is not null || !TryReserveLocked(charge))
            {
                return false;
            }

            // Under the lock, like the rename that ends Write: a rename is metadata only, and the folder's index
            // and its files must agree when another thread evicts or looks.
            try
            {
                File.Move(file, BlockPath(name, block.Index), overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _bytes -= charge;
                return false;
            }

            AddLocked(name, block.Index, charge);
            return true;
        }
    }

    /// <summary>Drops an object version (it was deleted or replaced by us).</summary>
    public void Remove(ObjectVersion version)
    {
        lock (_gate)
        {
            if (_versions.TryGetValue(FileName(version), out var blocks))
            {
                foreach (var node in blocks.Values.ToList())
                {
                    EvictLocked(node);
                }
            }
        }
    }

    public void Dispose()
    {
    }

    /// <summary>Makes room for a block of this charge, evicting from the least recently used end; false when it cannot.</summary>
    private bool TryReserveLocked(long charge)
    {
        while (_bytes + charge > _budgetBytes && _lru.First is { } oldest)
        {
            EvictLocked(oldest);
        }

        if (_bytes + charge > _budgetBytes)
        {
            return false;
        }

        _bytes += charge;
        return true;
    }

    /// <summary>What a block of this length takes on disk: whole allocation units (an empty file still has its inode).</summary>
    private static long Charge(long length) => Math.Max(AllocationUnit, (length + AllocationUnit - 1) / AllocationUnit * AllocationUnit);

    private LinkedListNode<CachedBlock>? FindLocked(string name, long index) =>
        _versions.TryGetValue(name, out var blocks) && blocks.TryGetValue(index, out var node) ? node : null;

    private void TouchLocked(LinkedListNode<CachedBlock> node)
    {
        _lru.Remove(node);
        _lru.AddLast(node);
    }

    /// <summary>Records a block whose room is already counted in <see cref="_bytes"/>.</summary>
    private void AddLocked(string name, long index, long charge)
    {
        if (!_versions.TryGetValue(name, out var blocks))
        {
            blocks = [];
            _versions[name] = blocks;
        }

        blocks[index] = _lru.AddLast(new CachedBlock(name, index, charge));
    }

    private void EvictLocked(LinkedListNode<CachedBlock> node)
    {
        var block = node.Value;
        _lru.Remove(node);
        var blocks = _versions[block.Version];
        blocks.Remove(block.Index);
        if (blocks.Count == 0)
        {
            _versions.Remove(block.Version);
        }

        _bytes -= block.Charge;
        TryDelete(BlockPath(block.Version, block.Index));
    }

    private void LoadExisting()
    {
        var folder = new DirectoryInfo(_folder);
        foreach (var file in folder.EnumerateFiles())
        {
            // Partial writes of a crashed run, and the one-sparse-file-per-version layout of earlier versions.
            if (!file.Name.EndsWith(BlockSuffix, StringComparison.Ordinal))
            {
                TryDelete(file.FullName);
            }
        }

        // Oldest-written first, so the least recently used of the last run are evicted first.
        lock (_gate)
        {
            foreach (var file in folder.EnumerateFiles("*" + BlockSuffix).OrderBy(f => f.LastWriteTimeUtc))
            {
                var parts = file.Name[..^BlockSuffix.Length].Split('.');
                if (parts.Length != 2 || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var index) || file.Length > _blockSize)
                {
                    TryDelete(file.FullName);
                    continue;
                }

                _bytes += Charge(file.Length);
                AddLocked(parts[0], index, Charge(file.Length));
            }

            // The budget may have shrunk since the last run.
            while (_bytes > _budgetBytes && _lru.First is { } oldest)
            {
                EvictLocked(oldest);
            }
        }
    }

    private int BlockLength(BlockKey block) => (int)Math.Min(_blockSize, block.Version.Size - (block.Index * _blockSize));

    private string BlockPath(string name, long index) => Path.Combine(_folder, $"{name}.{index.ToString(CultureInfo.InvariantCulture)}{BlockSuffix}");

    // Readers ask about one version many times in a row (read-ahead checks every block of its window): the
    // last name each thread computed saves hashing again.
    [ThreadStatic]
    private static (ObjectVersion Version, string Name)? t_lastName;

    private static string FileName(ObjectVersion version)
    {
        if (t_lastName is { } last && last.Version == version)
        {
            return last.Name;
        }

        var name = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(version.Key + "\n" + version.ETag + "\n" + version.Size)))[..40];
        t_lastName = (version, name);
        return name;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }

    private sealed record CachedBlock(string Version, long Index, long Charge);
}
