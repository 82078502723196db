using BucketMount.Backends;

namespace BucketMount.Engine.Namespace.Index;

/// <summary>One directory's listing as its index writer needs it: files and subdirectories by key segment, and the index object.</summary>
internal sealed class DirectoryIndexListing
{
    public Dictionary<string, ObjectInfo> Files { get; } = new(StringComparer.Ordinal);

    public HashSet<string> Directories { get; } = new(StringComparer.Ordinal);

    public ObjectInfo? Index { get; private set; }

    /// <summary>The directory's own "dir/" marker, when it has one.</summary>
    public ObjectInfo? Marker { get; private set; }

    /// <summary>Nothing in the directory but (perhaps) its marker and its index.</summary>
    public bool IsEmpty => Files.Count == 0 && Directories.Count == 0;

    public static async Task<DirectoryIndexListing> ReadAsync(IObjectStore store, string prefix, CancellationToken cancellationToken)
    {
        var listing = new DirectoryIndexListing();
        await foreach (var entry in store.ListAsync(prefix, "/", cancellationToken).ConfigureAwait(false))
        {
            var segment = entry.Key[prefix.Length..];
            if (entry.IsPrefix)
            {
                if (segment.Length > 1)
                {
                    listing.Directories.Add(segment[..^1]);
                }
            }
            else if (segment == DirectoryIndexFormat.ReservedName)
            {
                listing.Index = entry.Object;
            }
            else if (segment.Length > 0)
            {
                listing.Files[segment] = entry.Object!;
            }
            else
            {
                listing.Marker = entry.Object;
            }
        }

        return listing;
    }
}
