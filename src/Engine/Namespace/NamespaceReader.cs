using BucketMount.Backends;

namespace BucketMount.Engine.Namespace;

/// <summary>
/// Answers "what is at this path" and "what is in this directory" from the store, through the metadata cache.
/// A directory is a common prefix or a "dir/" marker; when a key is both a file and a prefix ("a" and "a/b"),
/// the directory wins and the file is hidden (as mountpoint-s3 does). A lookup the cache cannot answer costs
/// one HEAD and one LIST sent together; a directory listing costs its LIST pages and no HEADs.
/// </summary>
public sealed class NamespaceReader(IObjectStore store, KeyMapper keys, MetadataCache cache, bool exactModificationTimes)
{
    private const int SymlinkTypeBits = 0xA000;
    private const int FileTypeMask = 0xF000;

    public KeyMapper Keys => keys;

    public async Task<DirectoryListing> ListAsync(string directory, CancellationToken cancellationToken)
    {
        if (cache.GetListing(directory) is { } cached)
        {
            return cached;
        }

        var prefix = keys.ToDirectoryPrefix(directory);
        var children = new Dictionary<string, NodeInfo>(StringComparer.Ordinal);
        var files = new List<ObjectInfo>();
        var sawAnything = false;
        await foreach (var entry in store.ListAsync(prefix, "/", cancellationToken).ConfigureAwait(false))
        {
            sawAnything = true;
            if (entry.IsPrefix)
            {
                if (keys.ToName(entry.Key[prefix.Length..^1]) is { } dirName)
                {
                    children[dirName] = NodeInfo.Directory(dirName, DateTimeOffset.UnixEpoch);
                }
            }
            else if (keys.ToName(entry.Key[prefix.Length..]) is { } fileName && !children.ContainsKey(fileName))
            {
                files.Add(entry.Object!);
                children[fileName] = entry.Object!.Metadata is null ? ToNode(fileName, entry.Object!) : ToNodeWithMetadata(fileName, entry.Object!);
            }
        }

        if (!sawAnything && !FsPath.IsRoot(directory) && await store.HeadAsync(keys.ToDirectoryMarker(directory), cancellationToken).ConfigureAwait(false) is null)
        {
            throw StoreErrors.NotFound(directory);
        }

        if (exactModificationTimes)
        {
            await FillExactTimesAsync(children, files, prefix, cancellationToken).ConfigureAwait(false);
        }

        var listing = new DirectoryListing(children.Values);
        cache.SetListing(directory, listing);
        return listing;
    }

    /// <summary>The node at <paramref name="path"/>, or null when nothing is there.</summary>
    public async Task<NodeInfo?> LookupAsync(string path, CancellationToken cancellationToken)
    {
        if (FsPath.IsRoot(path))
        {
            return NodeInfo.Directory("", DateTimeOffset.UnixEpoch);
        }

        if (cache.TryGetNode(path, out var cachedNode))
        {
            return cachedNode;
        }

        var name = FsPath.Name(path);
        if (cache.GetListing(FsPath.Parent(path)) is { } parentListing)
        {
            var fromListing = parentListing.Find(name);
            cache.SetNode(path, fromListing);
            return fromListing;
        }

        var key = keys.ToKey(path);
        var headTask = store.HeadAsync(key, cancellationToken);
        var hasChildrenTask = HasAnyKeyAsync(key + "/", cancellationToken);
        var node = await hasChildrenTask.ConfigureAwait(false)
            ? NodeInfo.Directory(name, DateTimeOffset.UnixEpoch)
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

        cache.SetNode(path, node);
        return node;
    }

    /// <summary>Turns a HEAD result into a node and remembers its attributes by ETag.</summary>
    public NodeInfo ToNodeWithMetadata(string name, ObjectInfo info)
    {
        var metadata = info.Metadata;
        var attributes = ObjectMetadata.Parse(metadata, info.LastModified);
        cache.SetAttributes(info.Key, info.ETag, attributes);
        return ToNode(name, info);
    }

    /// <summary>A node from a listed object: exact attributes when this version's are known, else the store's time.</summary>
    public NodeInfo ToNode(string name, ObjectInfo info)
    {
        var known = cache.GetAttributes(info.Key, info.ETag);
        var kind = known?.Mode is { } mode && (mode & FileTypeMask) == SymlinkTypeBits ? NodeKind.Symlink : NodeKind.File;
        return new NodeInfo(name, kind, info.Size, known?.ModifiedTime ?? info.LastModified, known?.Mode, known?.Uid, known?.Gid)
        {
            ETag = info.ETag,
            WindowsAttributes = known?.WindowsAttributes,
            CreationTime = known?.CreationTime,
        };
    }

    private async Task<bool> HasAnyKeyAsync(string prefix, CancellationToken cancellationToken)
    {
        await foreach (var _ in store.ListAsync(prefix, "/", cancellationToken).ConfigureAwait(false))
        {
            return true;
        }

        return false;
    }

    private async Task FillExactTimesAsync(Dictionary<string, NodeInfo> children, List<ObjectInfo> files, string prefix, CancellationToken cancellationToken)
    {
        var unknown = files.Where(f => cache.GetAttributes(f.Key, f.ETag) is null).ToList();
        await Parallel.ForEachAsync(unknown, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (file, ct) =>
        {
            if (await store.HeadAsync(file.Key, ct).ConfigureAwait(false) is { } info)
            {
                var node = ToNodeWithMetadata(keys.ToName(file.Key[prefix.Length..])!, info);
                lock (children)
                {
                    children[node.Name] = node;
                }
            }
        }).ConfigureAwait(false);
    }
}
