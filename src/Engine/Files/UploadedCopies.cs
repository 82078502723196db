using BucketMount.Engine.Caching;
using BucketMount.Engine.Writing;

namespace BucketMount.Engine.Files;

/// <summary>
/// Keeps what this mount uploaded as clean cache blocks of the version the store now holds, so reading back a file
/// the mount wrote (tar c after tar x, a build linking what it compiled, git reading its new objects) costs no
/// request. It is only ever given a staging copy whose bytes are exactly that version's: the upload sent them,
/// the store answered with its ETag, and nothing changed the copy since (<see cref="OpenFile.UploadedCopy"/>).
/// The blocks are keyed by that ETag like any fetched block, so another writer's version never reads them, and
/// they live within the cache budgets and are evicted like any other. A copy on disk of one block is renamed into
/// the disk cache; otherwise its bytes are copied, up to a quarter of the cache (larger uploads are not kept:
/// copying gigabytes to keep them would evict everything else).
/// </summary>
internal sealed class UploadedCopies(MemoryBlockCache memory, DiskBlockCache disk, int blockSize)
{
    /// <summary>Turns <paramref name="staging"/> into cached blocks of <paramref name="version"/>, then deletes what is left of it.</summary>
    public void Adopt(ObjectVersion version, StagingFile staging)
    {
        try
        {
            if (version.Size > 0 && version.Size <= MaxBytes && staging.Missing(0, version.Size).Count == 0)
            {
                Keep(version, staging);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Keeping the copy only saves a later GET: a disk that refuses costs that GET, nothing else.
        }
        finally
        {
            staging.Delete();
        }
    }

    // On disk when there is one (it survives a remount and holds more); in memory too for a small file, as a fetch does.
    private long MaxBytes => (disk.BudgetBytes >= blockSize ? disk.BudgetBytes : memory.BudgetBytes) / 4;

    private void Keep(ObjectVersion version, StagingFile staging)
    {
        var first = new BlockKey(version, 0);
        if (version.Size <= blockSize && staging.DetachFile(version.Size) is { } file)
        {
            if (!disk.Adopt(first, file))
            {
                TryDelete(file);
            }

            return;
        }

        for (var index = 0L; index * blockSize < version.Size; index++)
        {
            var data = new byte[(int)Math.Min(blockSize, version.Size - (index * blockSize))];
            staging.CopyTo(index * blockSize, data);
            var key = new BlockKey(version, index);
            disk.Write(key, data);
            if (version.Size <= blockSize || disk.BudgetBytes < blockSize)
            {
                memory.Put(key, new Block(data, pooled: false).View());
            }
        }
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
