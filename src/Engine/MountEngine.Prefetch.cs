using BucketMount.Engine.Caching;
using BucketMount.Engine.Namespace;
using BucketMount.Engine.Reading;

namespace BucketMount.Engine;

/// <summary>What the read-ahead across a directory's files (<see cref="SiblingPrefetch"/>) learns from the metadata cache.</summary>
public sealed partial class MountEngine
{
    /// <summary>Bytes of small files fetched ahead of a reader walking a directory: some of the memory cache, at most this.</summary>
    private const long MaxSiblingBytesAhead = 32L * EngineOptions.MiB;

    private SiblingPrefetch NewSiblingPrefetch(BlockFetcher fetcher) =>
        new(fetcher, ListedNames, SiblingToPrefetch, Math.Min(MaxSiblingBytesAhead, _options.MemoryCacheBytes / 4));

    /// <summary>The names of a directory in listing order, from the cached listing only (null: none cached).</summary>
    private List<string>? ListedNames(string directory) => _cache.GetListing(directory)?.Snapshot().ConvertAll(n => n.Name);

    /// <summary>
    /// The stored version of a directory entry worth fetching ahead, as the cache knows it now: a file with data that
    /// fits one block (one GET), not open or changed here (the registry's state wins over the listing's).
    /// </summary>
    private ObjectVersion? SiblingToPrefetch(string directory, string name)
    {
        var listing = _cache.GetListing(directory);
        if (listing?.Find(name) is not { Kind: NodeKind.File, IsDirty: false, ETag: { } etag, Size: > 0 } node || node.Size > _options.BlockSize)
        {
            return null;
        }

        var path = FsPath.Combine(directory, name);
        if (_registry.Find(path) is not null)
        {
            return null;
        }

        string key;
        try
        {
            key = _keys.ToKey(path);
        }
        catch (FileSystemException)
        {
            return null;
        }

        // A listing read only for lookups leaves the stat of a file whose attributes are unknown to a request of its
        // own, which for a small file is a GET of the whole file (NamespaceReader): fetching it ahead as well would
        // be a second GET for the same file.
        return listing.MadeForLookups && _cache.GetAttributes(key, etag) is null ? null : new ObjectVersion(key, etag, node.Size);
    }
}
