namespace BucketMount.Backends.Local;

/// <summary>Folder rules of the local store: no links followed, parents made and pruned, file/folder clashes named.</summary>
internal static class LocalFolders
{
    /// <summary>Refuses a key whose path passes through a symbolic link (or junction) inside the root.</summary>
    public static void RejectLinks(string root, string relativePath, string location, string key)
    {
        var current = root;
        foreach (var segment in relativePath.Split('/'))
        {
            current = Path.Combine(current, segment);
            FileSystemInfo info = new FileInfo(current);
            if (!info.Exists)
            {
                info = new DirectoryInfo(current);
                if (!info.Exists)
                {
                    return;
                }
            }

            if (info.LinkTarget is not null || info.Attributes.HasFlag(FileAttributes.ReparsePoint))
            {
                throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument,
                    $"'{current}' is a symbolic link; the local store never follows links out of its folder. Remove the link.", location, key);
            }
        }
    }

    /// <summary>Creates the folders above a data file, naming the clash when a key is both an object and a folder.</summary>
    public static void PrepareParents(string dataPath, string root, string location, string key)
    {
        if (Directory.Exists(dataPath))
        {
            throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument,
                "other objects are stored below this key as a folder, and a local folder store cannot hold an object and a folder of the same name.", location, key);
        }

        var parent = Path.GetDirectoryName(dataPath)!;
        for (var dir = parent; dir.Length > root.Length; dir = Path.GetDirectoryName(dir)!)
        {
            if (File.Exists(dir))
            {
                throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument,
                    $"an object is stored at '{Path.GetRelativePath(root, dir)}', and a local folder store cannot also hold objects below it.", location, key);
            }
        }

        Directory.CreateDirectory(parent);
    }

    /// <summary>Removes folders left empty by a delete, up to (not including) <paramref name="stopAt"/>.</summary>
    public static void PruneEmptyParents(string path, string stopAt)
    {
        for (var dir = Path.GetDirectoryName(path); dir is not null && dir.Length > stopAt.Length; dir = Path.GetDirectoryName(dir))
        {
            try
            {
                if (Directory.EnumerateFileSystemEntries(dir).Any())
                {
                    return;
                }

                Directory.Delete(dir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Not empty any more (a concurrent put) or already gone: either way, stop here.
                return;
            }
        }
    }
}
