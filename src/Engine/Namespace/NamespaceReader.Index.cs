using BucketMount.Backends;
using BucketMount.Engine.Caching;
using BucketMount.Engine.Namespace.Index;

namespace BucketMount.Engine.Namespace;

internal sealed partial class NamespaceReader
{
    /// <summary>HEADs a listing sends at once for entries its index does not describe.</summary>
    public const int RepairParallelism = 16;

    /// <summary>
    /// Gives a fresh listing's entries their stored attributes: files the listing shows without metadata from the
    /// index when it describes that version, subdirectories from the index's record of their markers, symbolic links'
    /// targets from the index. When <paramref name="exact"/>, what the index does not know is asked from the store
    /// (a HEAD per file, or a GET of a small one; a HEAD per subdirectory marker) and learnt for the next index write.
    /// </summary>
    private async Task ApplyIndexAsync(Dictionary<string, NodeInfo> children, List<(string Name, ObjectInfo Info)> files,
        List<(string Name, string Segment)> directories, string prefix, StoredIndex? stored, bool exact, HashSet<string> describedDirectories,
        CancellationToken cancellationToken)
    {
        var unknownFiles = new List<(string Name, ObjectInfo Info)>();
        foreach (var (name, info) in files)
        {
            var segment = info.Key[prefix.Length..];
            var entry = stored?.ValidFor(segment, info);
            if (entry?.LinkTarget is { } target)
            {
                // A link's target is its body, fixed by the ETag whatever the metadata says.
                cache.SetLinkTarget(info.Key, info.ETag, target, learn: false);
            }

            if (info.Metadata is not null || cache.GetAttributes(info.Key, info.ETag) is not null)
            {
                children[name] = ToNode(name, info);
            }
            else if (entry is not null)
            {
                cache.RememberAttributes(info.Key, info.ETag, ObjectMetadata.Parse(entry.Metadata, info.LastModified));
                children[name] = ToNode(name, info);
            }
            else
            {
                unknownFiles.Add((name, info));
            }
        }

        var unknownDirectories = new List<(string Name, string Segment)>();
        foreach (var (name, segment) in directories)
        {
            var markerKey = prefix + segment + "/";
            if (cache.TryGetDirectoryAttributes(markerKey, out _))
            {
                // This mount's own record (a marker it wrote or saw, a time not yet stored) is newer than any index.
                continue;
            }

            var entry = indexes!.Learnt(prefix, segment) is { IsDirectory: true } learnt ? learnt : stored?.DirectoryEntry(segment);
            if (entry is not null)
            {
                children[name] = DirectoryNodeFromIndex(name, markerKey, entry);
                describedDirectories.Add(name);
            }
            else
            {
                unknownDirectories.Add((name, segment));
            }
        }

        if (!exact)
        {
            return;
        }

        var parallel = new ParallelOptions { MaxDegreeOfParallelism = RepairParallelism, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(unknownFiles, parallel, async (file, ct) =>
        {
            if (await HeadOrSmallGetAsync(file.Info.Key, file.Info.Size, ct).ConfigureAwait(false) is { } answer)
            {
                var node = NodeFromAnswer(file.Name, answer);
                var head = answer.Info;
                indexes!.Learn(head.Key, new IndexEntry(false, head.ETag, head.Size, IndexEntry.Seconds(head.LastModified),
                    head.Metadata ?? new Dictionary<string, string>(), cache.GetLinkTarget(head.Key, head.ETag)));
                lock (children)
                {
                    children[file.Name] = node;
                }
            }
        }).ConfigureAwait(false);

        await Parallel.ForEachAsync(unknownDirectories, parallel, async (directory, ct) =>
        {
            var marker = await store.HeadAsync(prefix + directory.Segment + "/", ct).ConfigureAwait(false);
            var entry = new IndexEntry(true, marker?.ETag, marker?.Size, marker is null ? null : IndexEntry.Seconds(marker.LastModified),
                marker?.Metadata ?? new Dictionary<string, string>());
            indexes!.Learn(prefix + directory.Segment + "/", entry);
            lock (children)
            {
                children[directory.Name] = DirectoryNodeFromIndex(directory.Name, prefix + directory.Segment + "/", entry);
                describedDirectories.Add(directory.Name);
            }
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// The directory's own entry in its own index, when the lookup's first page shows that index and the entry describes
    /// the listed marker (else null: the caller HEADs the marker). Read through <see cref="DirectoryIndexes.ReadAsync"/>,
    /// so the listing that usually follows (`ls -l dir`) reuses it by ETag instead of GETting it again.
    /// </summary>
    private async Task<IndexEntry?> OwnIndexEntryAsync(string prefix, ObjectInfo marker, List<ListEntry> firstPage, CancellationToken cancellationToken)
    {
        var indexKey = DirectoryIndexFormat.KeyOf(prefix);
        if (indexes is null || firstPage.Find(e => !e.IsPrefix && e.Key == indexKey)?.Object is not { } indexObject)
        {
            return null;
        }

        var stored = await indexes.ReadAsync(prefix, indexObject, cancellationToken).ConfigureAwait(false);
        return stored is { Foreign: false } ? stored.SelfFor(marker) : null;
    }

    /// <summary>
    /// A subdirectory as its marker's metadata describes it (the defaults when it keeps none), remembered by path so a
    /// lookup of it agrees with the listing.
    /// </summary>
    private NodeInfo DirectoryNodeFromIndex(string name, string markerKey, IndexEntry entry)
    {
        if (entry.Metadata.Count == 0)
        {
            cache.SetDirectoryAttributes(markerKey, null);
            return NodeInfo.Directory(name, DateTimeOffset.UnixEpoch);
        }

        var storeTime = entry.LastModifiedSeconds is { } seconds ? DateTimeOffset.FromUnixTimeSeconds(seconds) : DateTimeOffset.UnixEpoch;
        var attributes = ObjectMetadata.Parse(entry.Metadata, storeTime);
        cache.SetDirectoryAttributes(markerKey, attributes);
        return ToDirectoryNode(name, attributes);
    }
}
