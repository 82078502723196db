using BucketMount.Backends.Internal;

namespace BucketMount.Backends.Local;

/// <summary>
/// Lists the local store like S3 would: in key order, grouped at a delimiter. With the '/' delimiter (the
/// engine's case) only the one folder is read; any other delimiter, or none, walks the tree below the prefix.
/// Folders are opened one name at a time from the root without following links, and links are skipped, so a
/// link can neither be listed nor lead the listing outside. The sidecar is read anyway for the ETag, so listed
/// objects carry their metadata too.
/// </summary>
internal sealed class LocalListing(LocalDirectory root, string location)
{
    public List<ListEntry> List(string prefix, string? delimiter, CancellationToken cancellationToken)
    {
        var slash = prefix.LastIndexOf('/');
        var folderKey = slash < 0 ? "" : prefix[..(slash + 1)];
        var names = FolderNames(folderKey);
        if (names is null)
        {
            return [];
        }

        List<LocalDirectory>? chain;
        List<LocalDirectory>? metaChain;
        try
        {
            chain = root.OpenChain(names, create: false, isPrivate: false);
            metaChain = OpenMeta(root, names);
        }
        catch (LocalLinkException)
        {
            // A prefix through a link lists nothing: the link is not part of the store.
            return [];
        }

        if (chain is null)
        {
            LocalDirectory.DisposeAll(metaChain);
            return [];
        }

        try
        {
            var folder = chain.Count == 0 ? root : chain[^1];
            var metaFolder = metaChain is null ? null : metaChain[^1];
            if (delimiter == "/")
            {
                return ListOneFolder(folder, metaFolder, folderKey, prefix, cancellationToken);
            }

            var objects = new List<ObjectInfo>();
            Walk(folder, metaFolder, folderKey, prefix, objects, cancellationToken);
            objects.Sort((a, b) => KeyOrder.Instance.Compare(a.Key, b.Key));
            return ListingGrouper.Group(objects, prefix, delimiter).ToList();
        }
        finally
        {
            LocalDirectory.DisposeAll(chain);
            LocalDirectory.DisposeAll(metaChain);
        }
    }

    /// <summary>The metadata folders matching <paramref name="names"/>; null when missing (objects then get size-and-time ETags).</summary>
    private static List<LocalDirectory>? OpenMeta(LocalDirectory root, IReadOnlyList<string> names)
    {
        try
        {
            return root.OpenChain([LocalKeyPaths.SystemFolderName, LocalKeyPaths.MetaFolderName, .. names], create: false, isPrivate: true);
        }
        catch (LocalLinkException)
        {
            return null;
        }
    }

    private string[]? FolderNames(string folderKey)
    {
        if (folderKey.Length == 0)
        {
            return [];
        }

        try
        {
            return LocalKeyPaths.ToRelativePath(folderKey[..^1], location).Split('/');
        }
        catch (ObjectStoreException)
        {
            // A prefix no file name could hold lists nothing.
            return null;
        }
    }

    private static List<ListEntry> ListOneFolder(LocalDirectory folder, LocalDirectory? metaFolder, string folderKey, string prefix, CancellationToken cancellationToken)
    {
        var entries = new List<ListEntry>();
        foreach (var item in folder.Enumerate())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Skip(item, folderKey))
            {
                continue;
            }

            var key = folderKey + LocalKeyPaths.UnescapeSegment(item.Name);
            if (!key.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            if (item.Kind == LocalEntryKind.Directory)
            {
                if (PrefixEntry(folder, metaFolder, item.Name, key + "/") is { } prefixEntry)
                {
                    entries.Add(prefixEntry);
                }
            }
            else if (Describe(folder, metaFolder, item.Name, key) is { } info)
            {
                entries.Add(ListEntry.ForObject(info));
            }
        }

        entries.Sort((a, b) => KeyOrder.Instance.Compare(a.Key, b.Key));
        return entries;
    }

    private static void Walk(LocalDirectory folder, LocalDirectory? metaFolder, string folderKey, string prefix, List<ObjectInfo> objects, CancellationToken cancellationToken)
    {
        foreach (var item in folder.Enumerate())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Skip(item, folderKey))
            {
                continue;
            }

            var key = folderKey + LocalKeyPaths.UnescapeSegment(item.Name);
            if (item.Kind == LocalEntryKind.Directory)
            {
                // Only descend where keys below can still start with the prefix.
                var below = key + "/";
                if (below.StartsWith(prefix, StringComparison.Ordinal) || prefix.StartsWith(below, StringComparison.Ordinal))
                {
                    WalkInto(folder, metaFolder, item.Name, below, prefix, objects, cancellationToken);
                }
            }
            else if (key.StartsWith(prefix, StringComparison.Ordinal) && Describe(folder, metaFolder, item.Name, key) is { } info)
            {
                objects.Add(info);
            }
        }
    }

    private static void WalkInto(LocalDirectory folder, LocalDirectory? metaFolder, string name, string folderKey, string prefix, List<ObjectInfo> objects, CancellationToken cancellationToken)
    {
        LocalDirectory? child;
        try
        {
            child = folder.OpenDirectory(name, create: false, isPrivate: false);
        }
        catch (LocalLinkException)
        {
            return; // swapped for a link since it was read: skipped like any link
        }

        if (child is null)
        {
            return;
        }

        using (child)
        {
            LocalDirectory? childMeta = null;
            try
            {
                childMeta = metaFolder?.OpenDirectory(name, create: false, isPrivate: true);
            }
            catch (LocalLinkException)
            {
            }

            using (childMeta)
            {
                Walk(child, childMeta, folderKey, prefix, objects, cancellationToken);
            }
        }
    }

    /// <summary>
    /// A non-empty folder's prefix entry, with its marker object ("dir/" is the file "%" in it) read with its sidecar
    /// so the engine learns the directory's attributes without a HEAD; null for an empty folder or a link.
    /// </summary>
    private static ListEntry? PrefixEntry(LocalDirectory folder, LocalDirectory? metaFolder, string name, string markerKey)
    {
        try
        {
            using var child = folder.OpenDirectory(name, create: false, isPrivate: false);
            if (child is null || child.Enumerate().Count == 0)
            {
                return null;
            }

            LocalDirectory? childMeta = null;
            try
            {
                childMeta = metaFolder?.OpenDirectory(name, create: false, isPrivate: true);
            }
            catch (LocalLinkException)
            {
            }

            using (childMeta)
            {
                return ListEntry.ForPrefix(markerKey, Describe(child, childMeta, LocalKeyPaths.EscapeSegment("", isTopLevel: false), markerKey));
            }
        }
        catch (LocalLinkException)
        {
            return null;
        }
    }

    /// <summary>Links are not part of the store; FIFOs and devices are not objects (reading one could block).</summary>
    private static bool Skip(LocalEntry item, string folderKey) =>
        item.Kind is LocalEntryKind.Link or LocalEntryKind.Other or LocalEntryKind.Missing
        || (folderKey.Length == 0 && item.Name == LocalKeyPaths.SystemFolderName);

    private static ObjectInfo? Describe(LocalDirectory folder, LocalDirectory? metaFolder, string name, string key)
    {
        var stat = folder.Stat(name);
        return stat.Kind == LocalEntryKind.File
            ? LocalObjectInfo.Create(key, stat.Size, stat.ModifiedUtc, LocalObjectInfo.ReadSidecar(metaFolder, name))
            : null;
    }
}
