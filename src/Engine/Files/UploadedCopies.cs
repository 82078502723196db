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
/// the disk cache; a small copy in memory is copied there at once; a larger file is copied block by block in the
/// background (a close must not wait for it), up to <see cref="MaxCopiedBytes"/> and a quarter of the cache:
/// copying more would only evict what else is cached.
/// </summary>
internal sealed class UploadedCopies(MemoryBlockCache memory, DiskBlockCache disk, int blockSize)
{
    public const long MaxCopiedBytes = 256L * 1024 * 1024;

    // On disk when there is one (it survives a remount and holds more), else in memory.
    private bool OnDisk => disk.BudgetBytes >= blockSize;

    private long MaxBytes => Math.Min(MaxCopiedBytes, (OnDisk ? disk.BudgetBytes : memory.BudgetBytes) / 4);

    /// <summary>Turns <paramref name="staging"/> into cached blocks of <paramref name="version"/>, then deletes what is left of it.</summary>
    public void Adopt(ObjectVersion version, StagingFile staging)
    {
        if (version.Size == 0 || version.Size > MaxBytes || staging.Missing(0, version.Size).Count != 0)
        {
            staging.Delete();
            return;
        }

        if (version.Size <= blockSize && TryMove(version, staging))
        {
            return;
        }

        // A copy in memory is read at once (its reads complete as they start); a larger one on a thread of its own.
        _ = version.Size <= blockSize ? CopyAsync(version, staging) : Task.Run(() => CopyAsync(version, staging));
    }

    /// <summary>
    /// Renames a copy on disk that is exactly the one block's bytes into the disk cache. Renaming a file keeps any
    /// descriptor of it working, so the copy is then simply closed (its name, already gone, is not deleted again).
    /// </summary>
    private bool TryMove(ObjectVersion version, StagingFile staging)
    {
        if (!OnDisk || !staging.OnDisk || staging.PinnedLength != 0)
        {
            return false;
        }

        try
        {
            if (new FileInfo(staging.FilePath).Length != version.Size || !disk.Adopt(new BlockKey(version, 0), staging.FilePath))
            {
                return false;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        staging.Delete();
        return true;
    }

    private async Task CopyAsync(ObjectVersion version, StagingFile staging)
    {
        try
        {
            for (var index = 0L; index * blockSize < version.Size; index++)
            {
                var data = new byte[(int)Math.Min(blockSize, version.Size - (index * blockSize))];
                await staging.ReadAsync(index * blockSize, data, CancellationToken.None).ConfigureAwait(false);
                var key = new BlockKey(version, index);
                disk.Write(key, data);

                // In memory too for a small file, as a fetch does; a large one would push out what readers use.
                if (version.Size <= blockSize || !OnDisk)
                {
                    memory.Put(key, new Block(data, pooled: false).View());
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            // Keeping the copy only saves a later GET: a disk that refuses costs that GET, nothing else.
        }
        finally
        {
            staging.Delete();
        }
    }
}
