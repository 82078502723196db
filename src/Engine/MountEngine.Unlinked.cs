using System.Buffers;
using BucketMount.Backends;
using BucketMount.Engine.Caching;
using BucketMount.Engine.Files;
using BucketMount.Engine.Writing;

namespace BucketMount.Engine;

/// <summary>Files unlinked (or replaced by a rename) while open: they live on, nameless, in their local copy.</summary>
public sealed partial class MountEngine
{
    /// <summary>
    /// Fetches into the staging copy every byte of an open file that is still only in the store, before the object
    /// is deleted or replaced: afterwards its handles read exactly the bytes the file had, from the cache directory.
    /// Blocks go through the block caches, so what a reader just read is not fetched again. Caller holds the
    /// content lock. A store that no longer has this version (changed or deleted by someone else meanwhile) leaves
    /// those ranges missing: reading them then fails, as reading a file changed in the store while open does.
    /// </summary>
    private async Task KeepWholeContentLockedAsync(OpenFile file, CancellationToken cancellationToken)
    {
        StagingFile staging;
        ObjectVersion? remote;
        long size;
        bool dirty;
        string path;
        lock (file.State)
        {
            file.Staging ??= StagingFile.Open(StagingPath(file));
            staging = file.Staging;
            remote = file.Remote;
            size = file.Size;
            dirty = file.Dirty;
            path = file.Path;
        }

        var missing = remote is null ? [] : staging.Missing(0, size);
        if (missing.Count == 0)
        {
            return;
        }

        // The copy stays in the cache directory until the last close, like a dirty file's: the same budget holds.
        if (!dirty && _counters.DirtyBytes + size > _options.MaxDirtyBytes)
        {
            throw new FileSystemException(FsError.NoSpace, path,
                $"the file is open, and keeping its {size:N0} bytes in the cache after the unlink would pass MaxDirtyBytes ({_options.MaxDirtyBytes:N0}); close it first, or raise the limit.");
        }

        var buffer = ArrayPool<byte>.Shared.Rent(_options.BlockSize);
        try
        {
            foreach (var (start, end) in missing)
            {
                for (var offset = start; offset < end;)
                {
                    var chunk = buffer.AsMemory(0, (int)Math.Min(buffer.Length, end - offset));
                    var read = await _reader.ReadAsync(remote!.Value, offset, chunk, null, cancellationToken).ConfigureAwait(false);

                    // Past the stored object's end (a grown file whose growth is not marked yet): zeros.
                    chunk.Span[read..].Clear();
                    await staging.WriteAsync(offset, chunk, cancellationToken).ConfigureAwait(false);
                    offset += chunk.Length;
                }
            }
        }
        catch (ObjectStoreException e) when (e.Kind is ObjectStoreErrorKind.PreconditionFailed or ObjectStoreErrorKind.NotFound)
        {
            // Not the version the handles read any more: there is nothing of it left to keep.
        }
        catch (ObjectStoreException e)
        {
            throw e.ToFileSystem(path);
        }
        catch (IOException e)
        {
            throw new FileSystemException(FsError.NoSpace, path, "the cache disk could not keep the open file's copy: " + e.Message, e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
