namespace BucketMount.Backends.Local;

/// <summary>Temp files of the local store: unique names, durable writes, and clean-up of a crashed run's leftovers.</summary>
internal static class LocalTempFiles
{
    public static string NewPath(string tempFolder) => Path.Combine(tempFolder, Guid.NewGuid().ToString("N") + ".tmp");

    /// <summary>Writes bytes to a temp file, fsyncs it and renames it over <paramref name="path"/>.</summary>
    public static void WriteDurably(string path, byte[] bytes, string tempFolder)
    {
        var temp = NewPath(tempFolder);
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                file.Write(bytes);
                file.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            TryDelete(temp);
        }
    }

    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A temp file that cannot be deleted now is removed by the next start's clean-up.
        }
    }

    /// <summary>
    /// Removes temp files older than <paramref name="age"/>: leftovers of a crash. Younger ones may belong to
    /// another process using the same folder right now.
    /// </summary>
    public static void DeleteStale(string tempFolder, TimeSpan age)
    {
        var cutoff = DateTime.UtcNow - age;
        foreach (var file in new DirectoryInfo(tempFolder).EnumerateFiles("*.tmp"))
        {
            if (file.LastWriteTimeUtc < cutoff)
            {
                TryDelete(file.FullName);
            }
        }
    }
}
