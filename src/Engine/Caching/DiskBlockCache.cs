using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace BucketMount.Engine.Caching;

/// <summary>
/// Clean blocks on local disk, surviving restarts: one sparse file per object version (named by a hash of key and
/// ETag) holding its blocks at their offsets, and beside it a map of which blocks are present. When the cache
/// outgrows its budget, the least recently used versions are removed whole. Dirty data never lives here (it is in
/// staging files), so eviction can only ever drop clean, re-fetchable bytes.
/// </summary>
public sealed class DiskBlockCache : IDisposable
{
    private readonly string _folder;
    private readonly int _blockSize;
    private readonly long _budgetBytes;
    private readonly object _gate = new();
    private readonly Dictionary<string, CachedVersion> _versions = new(StringComparer.Ordinal);
    private long _bytes;
    private long _clock;

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
            if (!_versions.TryGetValue(name, out var version) || !version.Present.Contains(block.Index))
            {
                return false;
            }

            version.LastUse = ++_clock;
        }

        // Read outside the lock: readers of different blocks never wait for each other's disk I/O. A version
        // evicted meanwhile is either still readable through the open handle or gone, which is just a miss.
        try
        {
            using var handle = File.OpenHandle(DataPath(name), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return RandomAccess.Read(handle, destination, (block.Index * _blockSize) + from) == destination.Length;
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
            return _versions.TryGetValue(name, out var version) && version.Present.Contains(block.Index);
        }
    }

    /// <summary>Stores a block just fetched from the store, evicting old versions to stay within budget.</summary>
    public void Write(BlockKey block, ReadOnlySpan<byte> data)
    {
        if (_budgetBytes < _blockSize)
        {
            return;
        }

        var name = FileName(block.Version);
        CachedVersion? version;
        lock (_gate)
        {
            if (!_versions.TryGetValue(name, out version))
            {
                version = new CachedVersion(name);
                _versions[name] = version;
            }

            version.LastUse = ++_clock;
            if (version.Present.Contains(block.Index))
            {
                return;
            }
        }

        // Written outside the lock, and marked present only once the bytes are on disk.
        try
        {
            using (var handle = File.OpenHandle(DataPath(name), FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
            {
                RandomAccess.Write(handle, data, block.Index * _blockSize);
            }

            Span<byte> record = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(record, block.Index);
            using var map = new FileStream(MapPath(name), FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            map.Write(record);
        }
        catch (IOException)
        {
            // A full or failing cache disk costs speed, never correctness: the block is simply not cached.
            return;
        }

        lock (_gate)
        {
            if (_versions.GetValueOrDefault(name) != version || !version.Present.Add(block.Index))
            {
                return;
            }

            version.Bytes += _blockSize;
            _bytes += _blockSize;
            EvictLocked(keep: name);
        }
    }

    /// <summary>Drops an object version (it was deleted or replaced by us).</summary>
    public void Remove(ObjectVersion version)
    {
        lock (_gate)
        {
            var name = FileName(version);
            if (_versions.Remove(name, out var cached))
            {
                DeleteFilesLocked(cached);
            }
        }
    }

    public void Dispose()
    {
    }

    private void EvictLocked(string keep)
    {
        while (_bytes > _budgetBytes)
        {
            var oldest = _versions.Values.Where(v => v.Name != keep).MinBy(v => v.LastUse);
            if (oldest is null)
            {
                return;
            }

            _versions.Remove(oldest.Name);
            DeleteFilesLocked(oldest);
        }
    }

    private void DeleteFilesLocked(CachedVersion version)
    {
        _bytes -= version.Bytes;
        TryDelete(DataPath(version.Name));
        TryDelete(MapPath(version.Name));
    }

    private void LoadExisting()
    {
        // Oldest-written first, so the least recently used of the last run are evicted first.
        foreach (var map in new DirectoryInfo(_folder).EnumerateFiles("*.map").OrderBy(f => f.LastWriteTimeUtc))
        {
            var name = Path.GetFileNameWithoutExtension(map.Name);
            if (!File.Exists(DataPath(name)))
            {
                TryDelete(map.FullName);
                continue;
            }

            var version = new CachedVersion(name) { LastUse = ++_clock };
            var bytes = File.ReadAllBytes(map.FullName);
            for (var i = 0; i + 8 <= bytes.Length; i += 8)
            {
                version.Present.Add(BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(i)));
            }

            version.Bytes = (long)version.Present.Count * _blockSize;
            _bytes += version.Bytes;
            _versions[name] = version;
        }

        lock (_gate)
        {
            EvictLocked(keep: "");
        }
    }

    private int BlockLength(BlockKey block) => (int)Math.Min(_blockSize, block.Version.Size - (block.Index * _blockSize));

    private string DataPath(string name) => Path.Combine(_folder, name + ".data");

    private string MapPath(string name) => Path.Combine(_folder, name + ".map");

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

    private sealed class CachedVersion(string name)
    {
        public string Name { get; } = name;

        public HashSet<long> Present { get; } = [];

        public long Bytes { get; set; }

        public long LastUse { get; set; }
    }
}
