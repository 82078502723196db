using System.Buffers;
using BucketMount.Backends;
using BucketMount.Engine.Caching;
using BucketMount.Engine.Files;
using BucketMount.Engine.Reading;
using BucketMount.Engine.Writing;

namespace BucketMount.Engine;

/// <summary>Files unlinked (or replaced by a rename) while open: they live on, nameless, in their local copy.</summary>
public sealed partial class MountEngine
{
    /// <summary>
    /// Another open of the file <paramref name="file"/> is (a program opening /proc/self/fd/N of a file it unlinked):
    /// a handle on the same file, which no path leads to any more.
    /// </summary>
    internal async Task<FileHandle> ReopenAsync(OpenFile file, OpenFlags flags, CancellationToken cancellationToken)
    {
        string path;
        lock (file.State)
        {
            path = file.Path;
        }

        if ((flags & (OpenFlags.Write | OpenFlags.Truncate)) != 0)
        {
            RequireWritable(path);
        }

        // A file whose last handle went meanwhile is gone (or a plain object again): it cannot be opened this way.
        var reopened = AddHandleUnlessGone(file) ?? throw StoreErrors.NotFound(path);
        var handle = new FileHandle(this, reopened, flags, NewReadAheadState());
        if (flags.HasFlag(OpenFlags.Truncate) && flags.HasFlag(OpenFlags.Write))
        {
            try
            {
                await ChangeContentAsync(reopened, 0, null, truncateTo: 0, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await handle.ReleaseAsync(cancellationToken).ConfigureAwait(false);
                throw;
            }
        }

        return handle;
    }

    /// <summary>
    /// fchmod, fchown, futimens and truncate through a handle. A file with a name changes as by its path; one
    /// unlinked while open changes only locally, for its handles, since it will never be uploaded.
    /// </summary>
    internal async Task SetAttributesAsync(OpenFile file, AttributeChanges changes, CancellationToken cancellationToken)
    {
        bool deleted;
        string path;
        lock (file.State)
        {
            deleted = file.Deleted;
            path = file.Path;
        }

        if (!deleted)
        {
            await SetAttributesAsync(path, changes, cancellationToken).ConfigureAwait(false);
            return;
        }

        RequireWritable(path);
        if (changes.Size is { } size)
        {
            await ChangeContentAsync(file, 0, null, size, cancellationToken).ConfigureAwait(false);
        }

        await file.ContentLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (file.State)
            {
                Apply(file, changes with { ChangeTime = DateTimeOffset.UtcNow });
            }
        }
        finally
        {
            file.ContentLock.Release();
        }
    }

    private static OpenFile? AddHandleUnlessGone(OpenFile file)
    {
        lock (file.State)
        {
            if (file.Released || file.Handles == 0)
            {
                return null;
            }

            file.Handles++;
            return file;
        }
    }

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
            file.Staging ??= OpenStaging(file);
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
                $"the file is open, and keeping its {size:N0} bytes in the cache after the unlink would pass the dirty-data limit ({_options.MaxDirtyBytes:N0} bytes); close it first, or mount with a larger {EngineOptions.MaxDirtyOption}.");
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
            throw CacheDiskError(path, "the cache disk could not keep the open file's copy", e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
