using BucketMount.Backends;

namespace BucketMount.Engine.Namespace.Index;

/// <summary>
/// The mount's view of every directory's index object: what it last read or wrote there (by the index's ETag, so a
/// listing that shows the same ETag needs no GET), and what it learnt since (its own uploads, copies and symlinks,
/// HEADs that repaired a listing) that the next flush (<see cref="IndexWriter"/>) writes back. Never does I/O under its
/// lock; the store calls are made by the callers of <see cref="ReadAsync"/> and by the writer.
/// An entry is used for a listed object only when it describes that very version (ETag, size and last-modified
/// second) and was written at least a second before the index (so a later change, even one keeping the ETag, such as
/// a chmod by copy-in-place, always shows another last-modified second): otherwise the caller asks the store.
/// </summary>
internal sealed class DirectoryIndexes(IObjectStore store, bool readOnly)
{
    /// <summary>
    /// The key segment of a directory's own entry in its own index: its marker's key is the directory prefix itself,
    /// and no child has an empty segment.
    /// </summary>
    public const string SelfSegment = "";

    /// <summary>Directories whose state is kept; past this, clean ones are let go (they cost one GET when next listed).</summary>
    public const int MaxDirectories = 4096;

    private readonly object _gate = new();

    // One writer at a time per directory (a flush, or a change that must first take an entry out of the stored index),
    // striped so memory stays bounded. Listings and lookups never wait on these.
    private readonly SemaphoreSlim[] _writers = Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1)).ToArray();
    private readonly Dictionary<string, DirectoryState> _directories = new(StringComparer.Ordinal);
    private long _sequence;

    public bool ReadOnly => readOnly;

    /// <summary>The stored entries of the directory under <paramref name="prefix"/>, given its index object as the listing just showed it (null: none).</summary>
    public async Task<StoredIndex?> ReadAsync(string prefix, ObjectInfo? indexObject, CancellationToken cancellationToken)
    {
        if (indexObject is null)
        {
            lock (_gate)
            {
                State(prefix).Stored = null;
                State(prefix).Known = true;
            }

            return null;
        }

        lock (_gate)
        {
            if (_directories.TryGetValue(prefix, out var state) && state.Stored is { } known && known.ETag == indexObject.ETag)
            {
                return state.Stored = known with { LastModifiedSeconds = IndexEntry.Seconds(indexObject.LastModified) };
            }
        }

        var stored = await FetchAsync(indexObject, cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            State(prefix).Stored = stored;
            State(prefix).Known = true;
        }

        return stored;
    }

    /// <summary>GETs and parses an index object; an object that is not an index is remembered as foreign (never overwritten).</summary>
    internal async Task<StoredIndex> FetchAsync(ObjectInfo indexObject, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream();
        try
        {
            await store.ReadToAsync(indexObject.Key, 0, null, body, new ReadOptions { IfMatch = indexObject.ETag }, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectStoreException)
        {
            // Replaced or removed since the listing, or unreadable: the index is a cache, so this listing does without
            // it (asking the store for what it would have said) rather than fail.
            return new StoredIndex(indexObject.ETag, IndexEntry.Seconds(indexObject.LastModified), new Dictionary<string, IndexEntry>(StringComparer.Ordinal), Foreign: false);
        }

        var entries = DirectoryIndexFormat.TryParse(body.ToArray());
        return new StoredIndex(indexObject.ETag, IndexEntry.Seconds(indexObject.LastModified),
            entries ?? new Dictionary<string, IndexEntry>(StringComparer.Ordinal), Foreign: entries is null);
    }

    /// <summary>
    /// Records what is now known of the object at <paramref name="key"/> (a marker "dir/" stands for its directory in the
    /// parent's index): our own change, or a store answer that repaired a listing. The directory's index is rewritten
    /// once its changes settle. Lookups' HEADs are not learnt: one stat must not cost a listing and a write.
    /// </summary>
    public void Learn(string key, IndexEntry entry)
    {
        if (readOnly || !TrySplit(key, out var prefix, out var segment))
        {
            return;
        }

        LearnInto(prefix, segment, entry);
    }

    /// <summary>
    /// Records a marker this mount stored ("dir/") as the directory's own entry in its own index too: a lookup of the
    /// directory, which lists below its name anyway, then needs no HEAD of the marker (see <see cref="StoredIndex.SelfFor"/>).
    /// Only our own writes: a listing's repair HEAD must not make every subdirectory write an index.
    /// </summary>
    public void LearnOwnMarker(string markerKey, IndexEntry entry)
    {
        if (!readOnly && markerKey.EndsWith('/') && TrySplit(markerKey, out _, out _))
        {
            LearnInto(markerKey, SelfSegment, entry);
        }
    }

    private void LearnInto(string prefix, string segment, IndexEntry entry)
    {
        lock (_gate)
        {
            var state = State(prefix);
            if (entry.LinkTarget is null && state.Learnt.TryGetValue(segment, out var earlier) && earlier.Entry.ETag == entry.ETag)
            {
                entry = entry with { LinkTarget = earlier.Entry.LinkTarget };
            }

            state.Learnt[segment] = (entry, ++_sequence);
            state.DirtySinceMs ??= Environment.TickCount64;
            state.LastChangeMs = Environment.TickCount64;
        }
    }

    /// <summary>
    /// Before a change of an object's metadata that keeps its ETag (chmod, chown, touch by copy in place): if the stored
    /// index has an entry for it, the index is deleted first (its entries are kept here, to be written back, validated,
    /// by the next flush). Some stores (s3rver) keep even the last-modified time on such a copy, so no listing could tell
    /// the entry stale: write-ahead is the only safe order. Dispose the result once the change is stored and learnt.
    /// </summary>
    public async Task<IDisposable?> BeginMetadataOnlyChangeAsync(string key, CancellationToken cancellationToken)
    {
        if (!TrySplit(key, out var prefix, out var segment))
        {
            return null;
        }

        var writer = Writer(prefix);
        await writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            StoredIndex? stored;
            bool known;
            lock (_gate)
            {
                var state = State(prefix);
                (stored, known) = (state.Stored, state.Known);
            }

            var indexKey = DirectoryIndexFormat.KeyOf(prefix);
            if (!known)
            {
                stored = await store.HeadAsync(indexKey, cancellationToken).ConfigureAwait(false) is { } indexObject
                    ? await FetchAsync(indexObject, cancellationToken).ConfigureAwait(false)
                    : null;
                lock (_gate)
                {
                    State(prefix).Stored = stored;
                    State(prefix).Known = true;
                }
            }

            if (stored is { Foreign: false } && stored.Entries.ContainsKey(segment))
            {
                await store.DeleteAsync(indexKey, cancellationToken).ConfigureAwait(false);
                lock (_gate)
                {
                    var state = State(prefix);
                    state.Retained = stored.Entries;
                    state.Stored = null;
                    state.Known = true;
                }
            }

            return new Releaser(writer);
        }
        catch
        {
            writer.Release();
            throw;
        }
    }

    /// <summary>
    /// Held by a directory rename or removal for its whole run: no index is written meanwhile, so none lands in a
    /// directory just moved or removed (which would bring it back). Takes every writer, in order.
    /// </summary>
    public async Task<IDisposable> BeginStructureChangeAsync(CancellationToken cancellationToken)
    {
        var taken = new List<SemaphoreSlim>(_writers.Length);
        try
        {
            foreach (var writer in _writers)
            {
                await writer.WaitAsync(cancellationToken).ConfigureAwait(false);
                taken.Add(writer);
            }
        }
        catch
        {
            taken.ForEach(w => w.Release());
            throw;
        }

        return new AllReleaser(taken);
    }

    /// <summary>Held by a flush of the directory under <paramref name="prefix"/> for its whole LIST, GET and PUT.</summary>
    internal async Task<IDisposable> BeginFlushWriteAsync(string prefix, CancellationToken cancellationToken)
    {
        var writer = Writer(prefix);
        await writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Releaser(writer);
    }

    /// <summary>Entries of an index this mount deleted ahead of a change, to merge into the next one it writes.</summary>
    internal IReadOnlyDictionary<string, IndexEntry>? Retained(string prefix)
    {
        lock (_gate)
        {
            return _directories.TryGetValue(prefix, out var state) ? state.Retained : null;
        }
    }

    private SemaphoreSlim Writer(string prefix) => _writers[(StringComparer.Ordinal.GetHashCode(prefix) & int.MaxValue) % _writers.Length];

    /// <summary>Adds a symbolic link's target to what is known of that version.</summary>
    public void LearnLinkTarget(string key, string etag, byte[] target)
    {
        if (readOnly || !TrySplit(key, out var prefix, out var segment))
        {
            return;
        }

        lock (_gate)
        {
            var state = State(prefix);
            if (state.Learnt.TryGetValue(segment, out var learnt) && learnt.Entry.ETag == etag)
            {
                state.Learnt[segment] = (learnt.Entry with { LinkTarget = target }, learnt.Sequence);
            }
        }
    }

    /// <summary>What was learnt for a child since the index was last written (null: nothing).</summary>
    public IndexEntry? Learnt(string prefix, string segment)
    {
        lock (_gate)
        {
            return _directories.TryGetValue(prefix, out var state) && state.Learnt.TryGetValue(segment, out var learnt) ? learnt.Entry : null;
        }
    }

    /// <summary>Directories with changes to write whose last change is at least <paramref name="settled"/> old.</summary>
    internal List<string> DirtyDirectories(TimeSpan settled)
    {
        var now = Environment.TickCount64;
        lock (_gate)
        {
            return _directories.Where(d => d.Value.DirtySinceMs is not null && now - d.Value.LastChangeMs >= (long)settled.TotalMilliseconds)
                .Select(d => d.Key).ToList();
        }
    }

    internal bool AnyDirty()
    {
        lock (_gate)
        {
            return _directories.Values.Any(d => d.DirtySinceMs is not null);
        }
    }

    /// <summary>A flush's starting point: the last stored index known, what was learnt (with its sequence), and the sequence now.</summary>
    internal (StoredIndex? Stored, Dictionary<string, (IndexEntry Entry, long Sequence)> Learnt, long Sequence) BeginFlush(string prefix)
    {
        lock (_gate)
        {
            var state = State(prefix);
            state.DirtySinceMs = null;
            return (state.Stored, new Dictionary<string, (IndexEntry, long)>(state.Learnt, StringComparer.Ordinal), _sequence);
        }
    }

    /// <summary>
    /// Ends a flush: <paramref name="written"/> is now what is stored (null: unchanged). Learnt entries the flush used,
    /// or that were learnt before its listing and not listed (gone), are dropped; later ones stay for the next flush.
    /// </summary>
    internal void EndFlush(string prefix, StoredIndex? written, long listedAt)
    {
        lock (_gate)
        {
            var state = State(prefix);
            if (written is not null)
            {
                state.Stored = written;
                state.Retained = null;
                state.Known = true;
            }

            foreach (var (segment, learnt) in state.Learnt.ToList())
            {
                if (learnt.Sequence <= listedAt)
                {
                    state.Learnt.Remove(segment);
                }
            }
        }
    }

    /// <summary>A flush failed: the directory stays dirty, to be tried again after it rests once more.</summary>
    internal void FlushFailed(string prefix)
    {
        lock (_gate)
        {
            var state = State(prefix);
            state.DirtySinceMs ??= Environment.TickCount64;
            state.LastChangeMs = Environment.TickCount64;
        }
    }

    /// <summary>The directory is gone (rmdir): nothing of it is kept or written.</summary>
    public void Forget(string prefix)
    {
        lock (_gate)
        {
            _directories.Remove(prefix);
        }
    }

    /// <summary>The directory prefix and key segment of <paramref name="key"/>; a marker "a/b/" is the segment "b" of "a/".</summary>
    public static bool TrySplit(string key, out string prefix, out string segment)
    {
        var trimmed = key.EndsWith('/') ? key[..^1] : key;
        var slash = trimmed.LastIndexOf('/');
        prefix = trimmed[..(slash + 1)];
        segment = trimmed[(slash + 1)..];
        return segment.Length > 0 && segment != DirectoryIndexFormat.ReservedName;
    }

    private DirectoryState State(string prefix)
    {
        if (!_directories.TryGetValue(prefix, out var state))
        {
            if (_directories.Count >= MaxDirectories)
            {
                foreach (var clean in _directories.Where(d => d.Value.DirtySinceMs is null && d.Value.Learnt.Count == 0 && d.Value.Retained is null).Select(d => d.Key).ToList())
                {
                    _directories.Remove(clean);
                }
            }

            _directories[prefix] = state = new DirectoryState();
        }

        return state;
    }

    private sealed class DirectoryState
    {
        public StoredIndex? Stored { get; set; }

        public Dictionary<string, (IndexEntry Entry, long Sequence)> Learnt { get; } = new(StringComparer.Ordinal);

        public long? DirtySinceMs { get; set; }

        public long LastChangeMs { get; set; }

        /// <summary>True once the mount knows whether an index is stored (a listing or a write showed it).</summary>
        public bool Known { get; set; }

        /// <summary>Entries of an index deleted ahead of a change (see <see cref="BeginMetadataOnlyChangeAsync"/>).</summary>
        public IReadOnlyDictionary<string, IndexEntry>? Retained { get; set; }
    }

    private sealed class AllReleaser(List<SemaphoreSlim> writers) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                writers.ForEach(w => w.Release());
            }
        }
    }

    private sealed class Releaser(SemaphoreSlim writer) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                writer.Release();
            }
        }
    }
}

/// <summary>An index object as read or written: its ETag, its last-modified second (as the last listing showed it; null right after our PUT), its entries.</summary>
internal sealed record StoredIndex(string ETag, long? LastModifiedSeconds, IReadOnlyDictionary<string, IndexEntry> Entries, bool Foreign)
{
    /// <summary>The entry for a listed file when it describes that version and was indexed a second or more before the index was written.</summary>
    public IndexEntry? ValidFor(string segment, ObjectInfo listed) =>
        Entries.TryGetValue(segment, out var entry) && !entry.IsDirectory && entry.Describes(listed.ETag, listed.Size, listed.LastModified)
            && LastModifiedSeconds is { } written && entry.LastModifiedSeconds < written
            ? entry
            : null;

    /// <summary>
    /// The directory's own entry when it describes its marker as listed (<paramref name="marker"/>), with the same checks
    /// as a file's entry: every marker write shows a new last-modified second, so a lagging index never validates.
    /// </summary>
    public IndexEntry? SelfFor(ObjectInfo marker) =>
        Entries.TryGetValue(DirectoryIndexes.SelfSegment, out var entry) && entry.Describes(marker.ETag, marker.Size, marker.LastModified)
            && LastModifiedSeconds is { } written && entry.LastModifiedSeconds < written
            ? entry
            : null;

    /// <summary>The entry for a listed subdirectory (a common prefix shows no version to check; see SEMANTICS.md).</summary>
    public IndexEntry? DirectoryEntry(string segment) =>
        Entries.TryGetValue(segment, out var entry) && entry.IsDirectory ? entry : null;
}
