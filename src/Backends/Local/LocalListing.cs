using BucketMount.Backends.Internal;

namespace BucketMount.Backends.Local;

/// <summary>
/// Lists the local store like S3 would: in key order, grouped at a delimiter. With the '/' delimiter (the
/// engine's case) only the one folder is read; any other delimiter, or none, walks the tree below the prefix.
/// Symbolic links are skipped, never followed. The sidecar is read anyway for the ETag, so listed objects carry
/// their metadata too.
/// </summary>
internal sealed class LocalListing(string root, string metaFolder, string location)
{
    public List<ListEntry> List(string prefix, string? delimiter, CancellationToken cancellationToken)
    {
        var slash = prefix.LastIndexOf('/');
        var folderKey = slash < 0 ? "" : prefix[..(slash + 1)];
        var folder = FolderFor(folderKey);
        if (folder is null || !Directory.Exists(folder))
        {
            return [];
        }

        if (delimiter == "/")
        {
            return ListOneFolder(folder, folderKey, prefix, cancellationToken);
        }

        var objects = new List<ObjectInfo>();
        Walk(folder, folderKey, prefix, objects, cancellationToken);
        objects.Sort((a, b) => KeyOrder.Instance.Compare(a.Key, b.Key));
        return ListingGrouper.Group(objects, prefix, delimiter).ToList();
    }

    private string? FolderFor(string folderKey)
    {
        if (folderKey.Length == 0)
        {
            return root;
        }

        try
        {
            return Path.Combine(root, LocalKeyPaths.ToRelativePath(folderKey[..^1], location));
        }
        catch (ObjectStoreException)
        {
            // A prefix no file name could hold lists nothing.
            return null;
        }
    }

    private List<ListEntry> ListOneFolder(string folder, string folderKey, string prefix, CancellationToken cancellationToken)
    {
        var entries = new List<ListEntry>();
        foreach (var item in new DirectoryInfo(folder).EnumerateFileSystemInfos())
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

            if (item is DirectoryInfo dir)
            {
                if (dir.EnumerateFileSystemInfos().Any())
                {
                    entries.Add(ListEntry.ForPrefix(key + "/", MarkerOf(dir, key + "/")));
                }
            }
            else
            {
                entries.Add(ListEntry.ForObject(Describe((FileInfo)item, key)));
            }
        }

        entries.Sort((a, b) => KeyOrder.Instance.Compare(a.Key, b.Key));
        return entries;
    }

    private void Walk(string folder, string folderKey, string prefix, List<ObjectInfo> objects, CancellationToken cancellationToken)
    {
        foreach (var item in new DirectoryInfo(folder).EnumerateFileSystemInfos())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Skip(item, folderKey))
            {
                continue;
            }

            var key = folderKey + LocalKeyPaths.UnescapeSegment(item.Name);
            if (item is DirectoryInfo)
            {
                // Only descend where keys below can still start with the prefix.
                var below = key + "/";
                if (below.StartsWith(prefix, StringComparison.Ordinal) || prefix.StartsWith(below, StringComparison.Ordinal))
                {
                    Walk(item.FullName, below, prefix, objects, cancellationToken);
                }
            }
            else if (key.StartsWith(prefix, StringComparison.Ordinal))
            {
                objects.Add(Describe((FileInfo)item, key));
            }
        }
    }

    /// <summary>The folder's marker object ("dir/" is the file "%" in it), read with its sidecar: one small file read.</summary>
    private ObjectInfo? MarkerOf(DirectoryInfo folder, string markerKey)
    {
        var marker = new FileInfo(Path.Combine(folder.FullName, LocalKeyPaths.EscapeSegment("", isTopLevel: false)));
        return marker.Exists && marker.LinkTarget is null ? Describe(marker, markerKey) : null;
    }

    private static bool Skip(FileSystemInfo item, string folderKey) =>
        item.Attributes.HasFlag(FileAttributes.ReparsePoint) || item.LinkTarget is not null
        || (folderKey.Length == 0 && item.Name == LocalKeyPaths.SystemFolderName);

    private ObjectInfo Describe(FileInfo file, string key)
    {
        var metaPath = Path.Combine(metaFolder, Path.GetRelativePath(root, file.FullName));
        return LocalObjectInfo.Read(file, metaPath, key, withMetadata: true);
    }
}
