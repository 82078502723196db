namespace BucketMount.Backends.Local;

/// <summary>Temp files of the local store: unique names, durable writes, and clean-up of a crashed run's leftovers.</summary>
internal static class LocalTempFiles
{
    private const string Suffix = ".tmp";

    public static string NewName() => Guid.NewGuid().ToString("N") + Suffix;

    /// <summary>Writes bytes to a new private temp file, fsyncs it and renames it over <paramref name="name"/> in <paramref name="target"/>.</summary>
    public static void WriteDurably(LocalDirectory temp, LocalDirectory target, string name, byte[] bytes)
    {
        var tempName = NewName();
        try
        {
            using (var file = new FileStream(temp.CreateNew(tempName, isPrivate: true), FileAccess.Write, 1))
            {
                file.Write(bytes);
                file.Flush(flushToDisk: true);
            }

            temp.Rename(tempName, target, name);
        }
        finally
        {
            TryDelete(temp, tempName);
        }
    }

    public static void TryDelete(LocalDirectory temp, string name)
    {
        try
        {
            temp.Delete(name);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A temp file that cannot be deleted now is removed by the next start's clean-up.
        }
    }

    /// <summary>
    /// Removes temp files older than <paramref name="age"/>: leftovers of a crash. Younger ones may belong to
    /// another process using the same folder right now. Names are unlinked in the folder held open, so a link
    /// planted there is removed itself and nothing it points to is touched.
    /// </summary>
    public static void DeleteStale(LocalDirectory temp, TimeSpan age)
    {
        var cutoff = DateTime.UtcNow - age;
        foreach (var entry in temp.Enumerate())
        {
            if (entry.Kind == LocalEntryKind.File && entry.Name.EndsWith(Suffix, StringComparison.Ordinal))
            {
                var stat = temp.Stat(entry.Name);
                if (stat.Kind == LocalEntryKind.File && stat.ModifiedUtc < cutoff)
                {
                    TryDelete(temp, entry.Name);
                }
            }
        }
    }
}
