using System.Runtime.CompilerServices;
using Microsoft.Extensions.Caching.Memory;

namespace BucketMount.Engine.Namespace;

/// <summary>
/// Bounded cache of directory listings and lookups (positive and negative) with a TTL, plus attributes known by
/// ETag (from our own uploads and from HEADs), which never go stale because an ETag names one version.
/// The engine updates it on its own changes instead of dropping it, so its next lookups cost nothing.
/// </summary>
internal sealed class MetadataCache : IDisposable
{
    private static readonly object Negative = new();
    private readonly MemoryCache _cache;
    private readonly TimeSpan _ttl;
    private readonly ChangeMarkers _changes;

    // Counts the engine's own changes. A store answer is cached only if nothing it covers changed locally after the
    // query began: a HEAD or LIST sent just before our upload landed must not overwrite what the upload recorded.
    // The markers live outside the size-limited cache (which drops entries when full) in _changes.
    private long _sequence;

    public MetadataCache(TimeSpan ttl, int maxEntries)
    {
        _ttl = ttl;
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = maxEntries, CompactionPercentage = 0.25 });

        // Markers of the changes of the last TTL (a minute at least), up to as many as the cache has entries: older
        // ones only matter to queries that ran longer than that, whose answers are then simply not cached.
        _changes = new ChangeMarkers(Math.Max(maxEntries, 1024), ttl > TimeSpan.FromMinutes(1) ? ttl : TimeSpan.FromMinutes(1));
    }

    /// <summary>False when the mount keeps no listings (a TTL of zero): every answer must come from the store.</summary>
    public bool Caches => _ttl > TimeSpan.Zero;

    public DirectoryListing? GetListing(string directory) =>
        _ttl > TimeSpan.Zero ? _cache.Get<DirectoryListing>("d:" + directory) : null;

    /// <summary>
    /// The last listing of <paramref name="directory"/> the mount had, however old, kept up to date with the engine's
    /// own changes: what a listing answers while the store is unreachable.
    /// </summary>
    public DirectoryListing? GetLastKnownListing(string directory) =>
        GetListing(directory) ?? _cache.Get<DirectoryListing>("sd:" + directory);

    public void SetListing(string directory, DirectoryListing listing)
    {
        if (_ttl > TimeSpan.Zero)
        {
            _cache.Set("d:" + directory, listing, Entry(1 + (listing.Count / 100)));
        }

        _cache.Set("sd:" + directory, listing, LastKnownEntry(1 + (listing.Count / 100)));
    }

    /// <summary>True with the node (null: known not to exist) when the mount ever learnt what is at <paramref name="path"/>.</summary>
    public bool TryGetLastKnownNode(string path, out NodeInfo? node)
    {
        if (TryGetNode(path, out node))
        {
            return true;
        }

        if (_cache.TryGetValue("sn:" + path, out var value))
        {
            node = value as NodeInfo;
            return true;
        }

        return false;
    }

    /// <summary>True with the node (null for a cached "does not exist") when the lookup is cached.</summary>
    public bool TryGetNode(string path, out NodeInfo? node)
    {
        node = null;
        if (_ttl <= TimeSpan.Zero || !_cache.TryGetValue("n:" + path, out var value))
        {
            return false;
        }

        node = value as NodeInfo;
        return true;
    }

    public void SetNode(string path, NodeInfo? node)
    {
        if (_ttl > TimeSpan.Zero)
        {
            _cache.Set("n:" + path, (object?)node ?? Negative, Entry(1));
        }

        _cache.Set("sn:" + path, (object?)node ?? Negative, LastKnownEntry(1));
    }

    /// <summary>Counts an uncached lookup in <paramref name="directory"/> and returns how many there were within the TTL.</summary>
    public int CountLookupMiss(string directory)
    {
        if (_ttl <= TimeSpan.Zero)
        {
            return 0;
        }

        // Not atomic: two racing misses may count once, which only delays the listing by one lookup.
        var misses = _cache.Get<StrongBox<int>>("m:" + directory);
        if (misses is null)
        {
            misses = new StrongBox<int>(0);
            _cache.Set("m:" + directory, misses, Entry(1));
        }

        return Interlocked.Increment(ref misses.Value);
    }

    /// <summary>True when a lookup-driven listing of <paramref name="directory"/> was abandoned as too large lately.</summary>
    public bool IsTooLargeForLookupListing(string directory) => _cache.TryGetValue("big:" + directory, out _);

    public void MarkTooLargeForLookupListing(string directory)
    {
        if (_ttl > TimeSpan.Zero)
        {
            _cache.Set("big:" + directory, Negative, Entry(1));
        }
    }

    /// <summary>Records a child the engine just created or changed, in its own lookup and its parent's listing.</summary>
    public void OnChanged(string path, NodeInfo node)
    {
        MarkChanged(path);
        SetNode(path, node);
        foreach (var listing in ListingsOf(FsPath.Parent(path)))
        {
            listing.Set(node);
        }
    }

    /// <summary>Records a child the engine just removed.</summary>
    public void OnRemoved(string path)
    {
        MarkChanged(path);
        SetNode(path, null);
        _cache.Remove("d:" + path);
        _cache.Remove("sd:" + path);
        foreach (var listing in ListingsOf(FsPath.Parent(path)))
        {
            listing.Remove(FsPath.Name(path));
        }
    }

    /// <summary>The current and the last known listing of a directory (usually one object, or none).</summary>
    private IEnumerable<DirectoryListing> ListingsOf(string directory)
    {
        var current = GetListing(directory);
        if (current is not null)
        {
            yield return current;
        }

        if (_cache.Get<DirectoryListing>("sd:" + directory) is { } lastKnown && lastKnown != current)
        {
            yield return lastKnown;
        }
    }

    /// <summary>Forgets what is known of a path (and its listing), so the store is asked again.</summary>
    public void Invalidate(string path)
    {
        MarkChanged(path);
        _cache.Remove("n:" + path);
        _cache.Remove("d:" + path);
    }

    public void InvalidateListing(string directory)
    {
        MarkListingChanged(directory);
        _cache.Remove("d:" + directory);
    }

    /// <summary>
    /// Forgets what is known at and below <paramref name="directory"/> (whose objects live under
    /// <paramref name="keyPrefix"/>): a directory rename moved that subtree away or in. Everything else stays cached:
    /// an `ls -l` of an unrelated directory after a `mv` costs no request. Answers of queries begun before this, for
    /// any path in the subtree, are not cached either.
    /// </summary>
    public void InvalidateSubtree(string directory, string keyPrefix)
    {
        var sequence = Interlocked.Increment(ref _sequence);
        Mark("s:" + directory, sequence);
        if (!FsPath.IsRoot(directory))
        {
            Mark("l:" + FsPath.Parent(directory), sequence);
        }

        foreach (var entry in _cache.Keys)
        {
            if (entry is string key && InSubtree(key, directory, keyPrefix))
            {
                _cache.Remove(key);
            }
        }
    }

    // Entries by path ("n:/a/b") or, for directory attributes, by marker key ("da:a/b/"); "a:" and "t:" entries name
    // one version of a key (its ETag), which a rename never changes.
    private static bool InSubtree(string key, string directory, string keyPrefix)
    {
        var colon = key.IndexOf(':');
        if (colon < 0)
        {
            return false;
        }

        var kind = key[..colon];
        var rest = key[(colon + 1)..];
        return kind switch
        {
            "n" or "sn" or "d" or "sd" or "m" or "big" => FsPath.IsSelfOrBelow(rest, directory),
            "da" => rest.StartsWith(keyPrefix, StringComparison.Ordinal),
            _ => false,
        };
    }

    /// <summary>Taken before a store query whose answer will be cached with <see cref="SetNodeFromStore"/> or <see cref="SetListingFromStore"/>.</summary>
    public long Stamp() => Interlocked.Read(ref _sequence);

    /// <summary>Caches a lookup the store answered, unless the engine changed the path since <paramref name="stamp"/>.</summary>
    public void SetNodeFromStore(string path, NodeInfo? node, long stamp)
    {
        if (!ChangedSince("c:" + path, stamp) && !SubtreeChangedSince(path, stamp))
        {
            SetNode(path, node);
        }
    }

    /// <summary>Caches a listing the store answered, unless the engine changed a child of the directory since the LIST began (its <see cref="DirectoryListing.Stamp"/>).</summary>
    public void SetListingFromStore(string directory, DirectoryListing listing)
    {
        if (!ChangedSince("l:" + directory, listing.Stamp) && !SubtreeChangedSince(directory, listing.Stamp))
        {
            SetListing(directory, listing);
        }
    }

    private void MarkChanged(string path)
    {
        var sequence = Interlocked.Increment(ref _sequence);
        Mark("c:" + path, sequence);
        Mark("l:" + FsPath.Parent(path), sequence);
    }

    private void MarkListingChanged(string directory) => Mark("l:" + directory, Interlocked.Increment(ref _sequence));

    // Marked even without a TTL: the last known answers, which never expire, must not take a stale answer either.
    private void Mark(string marker, long sequence) => _changes.Mark(marker, sequence);

    private bool ChangedSince(string marker, long stamp) => _changes.ChangedSince(marker, stamp);

    /// <summary>True when a subtree holding <paramref name="path"/> (or the path itself, a directory) was moved since <paramref name="stamp"/>.</summary>
    private bool SubtreeChangedSince(string path, long stamp)
    {
        for (var at = path; ; at = FsPath.Parent(at))
        {
            if (_changes.ChangedSince("s:" + at, stamp))
            {
                return true;
            }

            if (FsPath.IsRoot(at))
            {
                return false;
            }
        }
    }

    public KnownAttributes? GetAttributes(string key, string etag) => _cache.Get<KnownAttributes>("a:" + key + "\n" + etag);

    /// <summary>
    /// Told of attributes the mount stored itself (upload, copy, symlink, marker), so the directory's metadata index
    /// learns them (see Index/DirectoryIndexes); null when no index is kept.
    /// </summary>
    public Action<string, string, KnownAttributes>? AttributesStored { get; set; }

    /// <summary>Told of a symbolic link's target the mount stored or read, for the directory's metadata index.</summary>
    public Action<string, string, byte[]>? LinkTargetLearnt { get; set; }

    /// <summary>Records the attributes the mount just stored with this version of <paramref name="key"/> (a PUT or COPY of ours).</summary>
    public void SetAttributes(string key, string etag, KnownAttributes attributes)
    {
        RememberAttributes(key, etag, attributes);
        AttributesStored?.Invoke(key, etag, attributes);
    }

    /// <summary>Remembers attributes the store told (a HEAD, a listing with metadata, an index entry): nothing to write back.</summary>
    public void RememberAttributes(string key, string etag, KnownAttributes attributes)
    {
        _cache.Set("a:" + key + "\n" + etag, attributes, new MemoryCacheEntryOptions { Size = 1 });
        if (key.EndsWith('/'))
        {
            // A directory's marker: a parent's listing names the directory by its prefix, without the marker's ETag.
            SetDirectoryAttributes(key, attributes);
        }
    }

    /// <summary>
    /// What a directory's marker <paramref name="markerKey"/> holds, as last seen or written by this mount within the
    /// TTL (another mount's chmod shows once it passes): <paramref name="attributes"/> null when it has no marker (a
    /// prefix only, default attributes). Known by path, not ETag, since a listing shows a subdirectory as a prefix.
    /// </summary>
    public bool TryGetDirectoryAttributes(string markerKey, out KnownAttributes? attributes)
    {
        attributes = null;
        if (!_cache.TryGetValue("da:" + markerKey, out var value))
        {
            return false;
        }

        attributes = value as KnownAttributes;
        return true;
    }

    /// <summary>Records what a directory's marker holds (null: no marker); see <see cref="TryGetDirectoryAttributes"/>.</summary>
    public void SetDirectoryAttributes(string markerKey, KnownAttributes? attributes)
    {
        if (_ttl > TimeSpan.Zero)
        {
            _cache.Set("da:" + markerKey, (object?)attributes ?? Negative, Entry(1));
        }
    }

    /// <summary>A symbolic link's target bytes (its body), known for one version.</summary>
    public byte[]? GetLinkTarget(string key, string etag) => _cache.Get<byte[]>("t:" + key + "\n" + etag);

    /// <summary>Remembers a link's target; <paramref name="learn"/>: the index should keep it too (not already from there).</summary>
    public void SetLinkTarget(string key, string etag, byte[] target, bool learn = true)
    {
        _cache.Set("t:" + key + "\n" + etag, target, new MemoryCacheEntryOptions { Size = 1 });
        if (learn)
        {
            LinkTargetLearnt?.Invoke(key, etag, target);
        }
    }

    public void Dispose() => _cache.Dispose();

    private MemoryCacheEntryOptions Entry(long size) => new() { Size = size, AbsoluteExpirationRelativeToNow = _ttl };

    // Last known answers never expire, but go first when the cache is full: they only serve while the store is away.
    private static MemoryCacheEntryOptions LastKnownEntry(long size) => new() { Size = size, Priority = CacheItemPriority.Low };
}

/// <summary>File attributes that live in object metadata, remembered for one version (ETag) of one key.</summary>
internal sealed record KnownAttributes(DateTimeOffset ModifiedTime, int? Mode, int? Uid, int? Gid, int? WindowsAttributes = null, DateTimeOffset? CreationTime = null,
    long? Rdev = null, DateTimeOffset? ChangeTime = null, DateTimeOffset? AccessTime = null, int ModifiedTimeSubTickNs = 0, int AccessTimeSubTickNs = 0,
    IReadOnlyDictionary<string, string>? OtherMetadata = null);
