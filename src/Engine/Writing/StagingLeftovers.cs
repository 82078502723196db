namespace BucketMount.Engine.Writing;

/// <summary>What the cleanup at start removed: staging files no journal record owned.</summary>
public sealed record LeftoverStaging(int Files, long Bytes);

/// <summary>
/// At start, before any file is opened: deletes staging files that no recovered file uses. A process that dies
/// leaves the staging file of every file it was writing (their content was never closed, so nothing recovers it),
/// and of a rewrite begun after a closed file's journal record (which keeps its own staging file); a crash
/// between a new record and the removal of the staging file it replaced leaves that one too. Left there, they
/// would fill the cache disk for good, one crash at a time.
/// </summary>
internal static class StagingLeftovers
{
    public static LeftoverStaging Remove(string folder, IEnumerable<string> owned)
    {
        var keep = new HashSet<string>(owned.Select(Path.GetFullPath), StringComparer.Ordinal);
        var files = 0;
        var bytes = 0L;
        foreach (var path in Directory.EnumerateFiles(folder))
        {
            if (keep.Contains(Path.GetFullPath(path)))
            {
                continue;
            }

            try
            {
                var length = new FileInfo(path).Length;
                File.Delete(path);
                files++;
                bytes += length;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Only space stays taken; the next start tries again.
            }
        }

        return new LeftoverStaging(files, bytes);
    }
}
