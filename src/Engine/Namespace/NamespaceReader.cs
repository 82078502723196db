using BucketMount.Backends;
using BucketMount.Engine.Caching;
using BucketMount.Engine.Namespace.Index;

namespace BucketMount.Engine.Namespace;

/// <summary>
/// Answers "what is at this path" and "what is in this directory" from the store, through the metadata cache.
/// A directory is a common prefix or a "dir/" marker; when a key is both a file and a prefix ("a" and "a/b"),
/// the directory wins and the file is hidden (as mountpoint-s3 does). A lookup the cache cannot answer costs
/// one HEAD and one LIST sent together; a directory listing costs its LIST pages and no HEADs. Once a directory
/// has had <see cref="ListAfterLookupMisses"/> such lookups within the cache's TTL (tar, rsync, make and
/// `git status` stat every file of a directory one by one), the last of them also starts listing the directory,
/// when it holds at most <see cref="LookupListingLimit"/> entries, and every later lookup there is answered from it.
/// While the store is unreachable (<see cref="StoreHealth"/>), or when it fails for a passing reason, a listing or
/// lookup the mount ever answered is answered again from what it last knew (kept up to date with its own changes):
/// `ls`, `stat` and creating a new name in a known directory keep working through an outage.
/// A listing shows exact attributes from the first look: where the store's listing carries no user metadata (S3),
/// they come from the directory's index object (<see cref="DirectoryIndexes"/>, one GET, none when unchanged), and a
/// listed file the index does not describe in that very version (written by another tool, or after the index) costs
/// a HEAD, sent in parallel; the answers are written back into the index so the next mount pays nothing.
/// </summary>
internal sealed partial class NamespaceReader(IObjectStore store, KeyMapper keys, MetadataCache cache,
    Action<ObjectVersion, byte[]>? keepSmallBody = null, StoreHealth? health = null, DirectoryIndexes? indexes = null)
{
    /// <summary>
    /// Files up to this size that a lookup must fetch attributes for are fetched whole instead (one GET in place of
    /// the HEAD, see <see cref="IObjectStore.GetSmallAsync"/>): whoever stats a file it never listed usually reads
    /// it next (tar -d, grep -r, a compiler), and the read then costs no request at all.
    /// </summary>
    public const int SmallBodyBytes = 64 * 1024;

    /// <summary>Uncached lookups in one directory after which the next one lists the whole directory.</summary>
    public const int ListAfterLookupMisses = 2;

    /// <summary>Entries a lookup-driven listing reads at most (10 pages) before giving up on that directory.</summary>
    public const int LookupListingLimit = 10_000;

    private readonly InFlight<string, DirectoryListing?> _listings = new(StringComparer.Ordinal);

    public KeyMapper Keys => keys;

    public async Task<DirectoryListing> ListAsync(string directory, CancellationToken cancellationToken)
    {
        var listing = cache.GetListing(directory);
        if (listing is { MadeForLookups: true } && health?.IsUnreachable != true)
        {
            // Read for lookups, it holds store times for the files nobody stat'ed: `ls -l` must not show those.
            listing = null;
        }

        if (listing is null && health?.IsUnreachable == true)
        {
            listing = cache.GetLastKnownListing(directory);
        }

        if (listing is null)
        {
            try
            {
                listing = await _listings.RunAsync("\n" + directory, () => ListFromStoreAsync(directory, int.MaxValue, exact: true, cancellationToken)).ConfigureAwait(false)
                    ?? throw new InvalidOperationException("an unbounded listing cannot be abandoned");
            }
            catch (ObjectStoreException e) when (e.IsRetryable && cache.GetLastKnownListing(directory) is { } lastKnown)
            {
                health?.OnFailure(e);
                listing = lastKnown;
            }
        }

        // From now on `ls -l` semantics hold: stats after a readdir are answered by the listing (store times for
        // files whose stored attributes are not known), as its own listing would have been.
        listing.MadeForLookups = false;
        return listing;
    }

    /// <summary>Lists a directory from the store and caches it; null (and nothing cached) when it holds more than
    /// <paramref name="limit"/> entries. <paramref name="exact"/>: every entry shows its stored attributes (asking the
    /// store for those the index does not know); else only what the index and earlier answers know (lookups then ask).</summary>
    private async Task<DirectoryListing?> ListFromStoreAsync(string directory, int limit, bool exact, CancellationToken cancellationToken)
    {
        var stamp = cache.Stamp();
        var prefix = keys.ToDirectoryPrefix(directory);
        var children = new Dictionary<string, NodeInfo>(StringComparer.Ordinal);
        var files = new List<(string Name, ObjectInfo Info)>();
        var directories = new List<(string Name, string Segment)>();
        ObjectInfo? indexObject = null;
        var sawAnything = false;
        var seen = 0;
        var peeked = TakePeek(directory);
        if (peeked is not null)
        {
            stamp = Math.Min(stamp, peeked.Stamp);
        }

        await foreach (var entry in EntriesAsync(prefix, peeked, cancellationToken).ConfigureAwait(false))
        {
            sawAnything = true;
            if (++seen > limit)
            {
                return null;
            }

            if (entry.IsPrefix)
            {
                var segment = entry.Key[prefix.Length..^1];
                if (keys.ToName(segment) is { } dirName)
                {
                    if (entry.Marker is { } marker)
                    {
                        // The store listed the subdirectory's marker with its metadata (the local store does).
                        RecordMarker(marker);
                    }

                    children[dirName] = DirectoryNode(dirName, entry.Key);
                    directories.Add((dirName, segment));
                }
            }
            else if (entry.Key.Length - prefix.Length == DirectoryIndexFormat.ReservedName.Length && entry.Key.EndsWith(DirectoryIndexFormat.ReservedName, StringComparison.Ordinal))
            {
                indexObject = entry.Object;
            }
            else if (keys.ToName(entry.Key[prefix.Length..]) is { } fileName && !children.ContainsKey(fileName))
            {
                files.Add((fileName, entry.Object!));
                children[fileName] = entry.Object!.Metadata is null ? ToNode(fileName, entry.Object!) : ToNodeWithMetadata(fileName, entry.Object!);
            }
        }

        if (!sawAnything && !FsPath.IsRoot(directory) && await store.HeadAsync(keys.ToDirectoryMarker(directory), cancellationToken).ConfigureAwait(false) is null)
        {
            throw StoreErrors.NotFound(directory);
        }

        // Subdirectories whose markers this listing already described (from the index, or its HEAD): not asked again
        // below, also when the metadata cache keeps nothing (TTL 0) to tell so.
        var describedDirectories = new HashSet<string>(StringComparer.Ordinal);

        // Directories shadow same-named files (see above): a file listed before its directory is not shown.
        files.RemoveAll(f => children[f.Name].IsDirectory);
        if (indexes is not null)
        {
            var stored = await indexes.ReadAsync(prefix, indexObject, cancellationToken).ConfigureAwait(false);
            await ApplyIndexAsync(children, files, directories, prefix, stored, exact, describedDirectories, cancellationToken).ConfigureAwait(false);
        }

        await FillDirectoryAttributesAsync(children, prefix, describedDirectories, cancellationToken).ConfigureAwait(false);

        // Marked before it is cached: a lookup meanwhile must not take a listing made for lookups for an exact one
        // (it would show the store's time, not the stored mtime; seen when the machine ran the marking late).
        var listing = new DirectoryListing(children.Values) { Stamp = stamp, MadeForLookups = !exact };
        cache.SetListingFromStore(directory, listing);
        return listing;
    }

    /// <summary>The node at <paramref name="path"/>, or null when nothing is there.</summary>
    public async Task<NodeInfo?> LookupAsync(string path, CancellationToken cancellationToken)
    {
        if (FsPath.IsRoot(path))
        {
            return NodeInfo.Directory("", DateTimeOffset.UnixEpoch);
        }

        if (keys.IsReserved(FsPath.Name(path)))
        {
            return null; // A directory's metadata index, never a file of the mount.
        }

        if (cache.TryGetNode(path, out var cachedNode))
        {
            return cachedNode;
        }

        if (health?.IsUnreachable == true && TryLastKnown(path, out var lastKnown))
        {
            return lastKnown;
        }

        try
        {
            return await LookupInStoreAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectStoreException e) when (e.IsRetryable && TryLastKnown(path, out var known))
        {
            health?.OnFailure(e);
            return known;
        }
    }

    /// <summary>What the mount last knew of <paramref name="path"/>: its own lookup, or its parent's listing (absent there: null).</summary>
    private bool TryLastKnown(string path, out NodeInfo? node)
    {
        if (cache.TryGetLastKnownNode(path, out node))
        {
            return true;
        }

        if (cache.GetLastKnownListing(FsPath.Parent(path)) is { } listing)
        {
            node = listing.Find(FsPath.Name(path));
            return true;
        }

        return false;
    }

    private async Task<NodeInfo?> LookupInStoreAsync(string path, CancellationToken cancellationToken)
    {
        var stamp = cache.Stamp();
        var name = FsPath.Name(path);
        var parent = FsPath.Parent(path);
        var key = keys.ToKey(path);
        if (cache.GetListing(parent) is { } parentListing || (parentListing = await ListForLookupsAsync(parent, cancellationToken).ConfigureAwait(false)) is not null)
        {
            var fromListing = parentListing.Find(name);
            if (fromListing is { IsDirectory: false, ETag: { } etag } && parentListing.MadeForLookups && cache.GetAttributes(key, etag) is null)
            {
                // A LIST carries no metadata: a stat must still show the mtime and mode the writer stored (rsync
                // compares them), so a file not known by its ETag costs one HEAD, but no longer a LIST too.
                fromListing = await ExactAttributesAsync(name, key, fromListing.Size, cancellationToken).ConfigureAwait(false);
            }

            // A listing shared with a caller who started it may be older than this lookup.
            cache.SetNodeFromStore(path, fromListing, Math.Min(stamp, parentListing.Stamp));
            return fromListing;
        }

        var headTask = store.HeadAsync(key, cancellationToken);
        var firstBelowTask = PeekDirectoryAsync(path, key + "/", cancellationToken);
        var node = await firstBelowTask.ConfigureAwait(false) is { } firstPage
            ? await LookedUpDirectoryAsync(name, key + "/", firstPage, cancellationToken).ConfigureAwait(false)
            : await headTask.ConfigureAwait(false) is { } info ? ToNodeWithMetadata(name, info) : null;
        if (node?.IsDirectory == true)
        {
            // Observe the HEAD so its failure is not unobserved; a directory shadows a same-named file.
            try
            {
                await headTask.ConfigureAwait(false);
            }
            catch (ObjectStoreException)
            {
            }
        }

        cache.SetNodeFromStore(path, node, stamp);
        return node;
    }

    /// <summary>A HEAD's answer for a listed file, from a GET of the whole file when it is small (then cached too).</summary>
    private async Task<NodeInfo?> ExactAttributesAsync(string name, string key, long listedSize, CancellationToken cancellationToken) =>
        await HeadOrSmallGetAsync(key, listedSize, cancellationToken).ConfigureAwait(false) is { } answer ? NodeFromAnswer(name, answer) : null;

    /// <summary>What a HEAD says of <paramref name="key"/>, with its bytes when it is small enough to GET whole instead (kept for reads).</summary>
    private async Task<SmallObject?> HeadOrSmallGetAsync(string key, long listedSize, CancellationToken cancellationToken)
    {
        if (keepSmallBody is null || listedSize > SmallBodyBytes)
        {
            return await store.HeadAsync(key, cancellationToken).ConfigureAwait(false) is { } info ? new SmallObject(info, null) : null;
        }

        if (await store.GetSmallAsync(key, SmallBodyBytes, cancellationToken).ConfigureAwait(false) is not { } small)
        {
            return null;
        }

        if (small.Data is { } data)
        {
            keepSmallBody(new ObjectVersion(key, small.Info.ETag, small.Info.Size), data);
        }

        return small;
    }

    /// <summary>The node a HEAD (or small GET) answer shows; a symbolic link read whole remembers its target.</summary>
    private NodeInfo NodeFromAnswer(string name, SmallObject answer)
    {
        var node = ToNodeWithMetadata(name, answer.Info);
        if (node.Kind == NodeKind.Symlink && answer.Data is { } data)
        {
            cache.SetLinkTarget(answer.Info.Key, answer.Info.ETag, data, learn: false);
            node = node with { LinkTarget = RawNames.FromBytes(data) };
        }

        return node;
    }

    /// <summary>
    /// The parent's listing when enough lookups missed there to make one LIST cheaper than more HEADs. The miss that
    /// reaches <see cref="ListAfterLookupMisses"/> still asks for its own name, and starts that listing beside it
    /// (null): the next miss joins it instead of waiting for a LIST of its own. SQLite looks up "NAME-journal" and
    /// then "NAME-wal" right after opening a new database: the same requests, one round trip fewer.
    /// </summary>
    private async Task<DirectoryListing?> ListForLookupsAsync(string directory, CancellationToken cancellationToken)
    {
        var misses = cache.CountLookupMiss(directory);
        if (misses < ListAfterLookupMisses || cache.IsTooLargeForLookupListing(directory))
        {
            return null;
        }

        if (misses == ListAfterLookupMisses)
        {
            // Not Task.Run: the listing must be in flight (in _listings) before this lookup returns, or the next
            // miss, on a loaded machine, got there first, sent a LIST of its own, and this one sent a second.
            _ = ListBesideLookupAsync(directory);
            return null;
        }

        return await ListNowForLookupsAsync(directory, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A listing started by a lookup that does not wait for it: a failure leaves the next miss to list again.</summary>
    private async Task ListBesideLookupAsync(string directory)
    {
        try
        {
            // No caller's token: later lookups may be waiting on it (see InFlight).
            await ListNowForLookupsAsync(directory, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception error) when (error is ObjectStoreException or FileSystemException or OperationCanceledException or ObjectDisposedException)
        {
            // Nobody waits on it but the next lookup there, which lists again; the mount may also be stopping.
        }
    }

    private async Task<DirectoryListing?> ListNowForLookupsAsync(string directory, CancellationToken cancellationToken)
    {
        try
        {
            // Registered at once, run on the pool: the lookup that starts it goes on to send its own requests.
            var listing = await _listings.RunAsync(directory, () => Task.Run(() => ListFromStoreAsync(directory, LookupListingLimit, exact: false, cancellationToken), CancellationToken.None)).ConfigureAwait(false);
            if (listing is null)
            {
                cache.MarkTooLargeForLookupListing(directory);
            }

            return listing;
        }
        catch (FileSystemException error) when (error.Error == FsError.NotFound)
        {
            // The parent is gone (or never was): the ordinary lookup below answers for the child.
            return null;
        }
    }

    /// <summary>Turns a HEAD result (or a listed object with its metadata) into a node and remembers its attributes by ETag.</summary>
    public NodeInfo ToNodeWithMetadata(string name, ObjectInfo info)
    {
        var metadata = info.Metadata;
        var attributes = ObjectMetadata.Parse(metadata, info.LastModified);
        if (cache.GetAttributes(info.Key, info.ETag) is { AccessTime: { } moved } cached && !(attributes.AccessTime >= moved))
        {
            // Reads of this very version moved its atime in memory (relatime): a HEAD only knows the stored one.
            attributes = attributes with { AccessTime = moved, AccessTimeSubTickNs = cached.AccessTimeSubTickNs };
        }

        cache.RememberAttributes(info.Key, info.ETag, attributes);
        return ToNode(name, info);
    }

    /// <summary>A node from a listed object: exact attributes when this version's are known, else the store's time.</summary>
    public NodeInfo ToNode(string name, ObjectInfo info)
    {
        var known = cache.GetAttributes(info.Key, info.ETag);
        var kind = NodeKinds.FromMode(known?.Mode);
        return new NodeInfo(name, kind, info.Size, known?.ModifiedTime ?? info.LastModified, known?.Mode, known?.Uid, known?.Gid)
        {
            ETag = info.ETag,
            WindowsAttributes = known?.WindowsAttributes,
            CreationTime = known?.CreationTime,
            Rdev = kind is NodeKind.CharDevice or NodeKind.BlockDevice ? known?.Rdev : null,
            LinkTarget = kind == NodeKind.Symlink && cache.GetLinkTarget(info.Key, info.ETag) is { } target ? RawNames.FromBytes(target) : null,
            ChangeTime = known?.ChangeTime,
            AccessTime = known?.AccessTime,
            ModifiedTimeSubTickNs = known?.ModifiedTimeSubTickNs ?? 0,
            AccessTimeSubTickNs = known?.AccessTimeSubTickNs ?? 0,
        };
    }

    /// <summary>
    /// A directory as its marker's metadata says (mode, owner, time), when this mount knows it; else the defaults a
    /// directory that is only a prefix shows.
    /// </summary>
    public NodeInfo DirectoryNode(string name, string markerKey) =>
        cache.TryGetDirectoryAttributes(markerKey, out var known) && known is not null
            ? ToDirectoryNode(name, known)
            : NodeInfo.Directory(name, DateTimeOffset.UnixEpoch);

    public static NodeInfo ToDirectoryNode(string name, KnownAttributes attributes) =>
        new(name, NodeKind.Directory, 0, attributes.ModifiedTime, attributes.Mode, attributes.Uid, attributes.Gid)
        {
            WindowsAttributes = attributes.WindowsAttributes,
            CreationTime = attributes.CreationTime,
            ChangeTime = attributes.ChangeTime,
            AccessTime = attributes.AccessTime,
            ModifiedTimeSubTickNs = attributes.ModifiedTimeSubTickNs,
            AccessTimeSubTickNs = attributes.AccessTimeSubTickNs,
        };

    /// <summary>Remembers what a directory marker seen with its metadata (a HEAD, or a listing that carries metadata) holds.</summary>
    private KnownAttributes RecordMarker(ObjectInfo marker)
    {
        var attributes = ObjectMetadata.Parse(marker.Metadata, marker.LastModified);
        cache.RememberAttributes(marker.Key, marker.ETag, attributes);
        return attributes;
    }

    /// <summary>
    /// A directory found by a lookup's LIST below its name: the first key listed is its marker when it has one (no
    /// key below "dir/" sorts before "dir/" itself), whose metadata is known by ETag, listed (local store, Azure), read
    /// from the directory's own index when the page shows it (see <see cref="OwnIndexEntryAsync"/>), or fetched with one HEAD.
    /// </summary>
    private async Task<NodeInfo> LookedUpDirectoryAsync(string name, string markerKey, List<ListEntry> firstPage, CancellationToken cancellationToken)
    {
        var firstBelow = firstPage[0];
        if (firstBelow.Key != markerKey || firstBelow.Object is not { } listed)
        {
            cache.SetDirectoryAttributes(markerKey, null);
            return NodeInfo.Directory(name, DateTimeOffset.UnixEpoch);
        }

        if (cache.GetAttributes(markerKey, listed.ETag) is { } known)
        {
            // A version this mount knows: what it recorded since (a changed time not yet written) is newer.
            if (cache.TryGetDirectoryAttributes(markerKey, out var latest) && latest is not null)
            {
                return ToDirectoryNode(name, latest);
            }

            cache.SetDirectoryAttributes(markerKey, known);
            return ToDirectoryNode(name, known);
        }

        if (listed.Metadata is not null)
        {
            return ToDirectoryNode(name, RecordMarker(listed));
        }

        if (await OwnIndexEntryAsync(markerKey, listed, firstPage, cancellationToken).ConfigureAwait(false) is { } self)
        {
            return DirectoryNodeFromIndex(name, markerKey, self);
        }

        return await HeadMarkerAsync(name, markerKey, cancellationToken).ConfigureAwait(false);
    }

    private async Task<NodeInfo> HeadMarkerAsync(string name, string markerKey, CancellationToken cancellationToken)
    {
        if (await store.HeadAsync(markerKey, cancellationToken).ConfigureAwait(false) is { } marker)
        {
            return ToDirectoryNode(name, RecordMarker(marker));
        }

        cache.SetDirectoryAttributes(markerKey, null);
        return NodeInfo.Directory(name, DateTimeOffset.UnixEpoch);
    }

    /// <summary>Most subdirectory markers a listing HEADs at once when it does not know their metadata.</summary>
    public const int MarkerHeadParallelism = 16;

    /// <summary>
    /// Subdirectories whose markers this mount has not seen get their mode, owner and time from one HEAD each, sent in
    /// parallel: `ls -l` and the kernel's permission checks (which take a listing's attributes with readdirplus) must
    /// not show a private directory as 0755. A per-directory index that knows them (see MetadataCache) makes this free.
    /// </summary>
    private async Task FillDirectoryAttributesAsync(Dictionary<string, NodeInfo> children, string prefix, HashSet<string> described, CancellationToken cancellationToken)
    {
        var unknown = children.Values
            .Where(c => c.IsDirectory && !described.Contains(c.Name) && !cache.TryGetDirectoryAttributes(MarkerOf(prefix, c.Name), out _))
            .Select(c => c.Name).ToList();
        await Parallel.ForEachAsync(unknown, new ParallelOptions { MaxDegreeOfParallelism = MarkerHeadParallelism, CancellationToken = cancellationToken }, async (name, ct) =>
        {
            var node = await HeadMarkerAsync(name, MarkerOf(prefix, name), ct).ConfigureAwait(false);
            lock (children)
            {
                children[name] = node;
            }
        }).ConfigureAwait(false);
    }

    private string MarkerOf(string prefix, string name) => prefix + keys.Encoding.ToSegment(name) + "/";
}
