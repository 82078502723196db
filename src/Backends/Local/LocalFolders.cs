namespace BucketMount.Backends.Local;

/// <summary>Folder rules of the local store: empty folders pruned after a delete, without following links.</summary>
internal static class LocalFolders
{
    /// <summary>
    /// Removes the folders of <paramref name="chain"/> (opened from <paramref name="top"/> along
    /// <paramref name="names"/>) that a delete left empty, deepest first, keeping the first <paramref name="keep"/>.
    /// rmdir of a name in its parent never follows a link and fails on a folder that is not empty (a concurrent put).
    /// </summary>
    public static void PruneEmpty(LocalDirectory top, List<LocalDirectory> chain, IReadOnlyList<string> names, int keep)
    {
        for (var i = chain.Count - 1; i >= keep; i--)
        {
            var parent = i == 0 ? top : chain[i - 1];
            if (!parent.RemoveEmptyDirectory(names[i]))
            {
                return;
            }
        }
    }
}
