using BucketMount.Backends;
using BucketMount.Engine.Caching;
using BucketMount.Engine.Files;
using BucketMount.Engine.Reading;
using BucketMount.Engine.Writing;

namespace BucketMount.Engine;

public sealed partial class MountEngine
{
    /// <summary>The most dirty bytes counted at once since start, for tests of the dirty-data limit.</summary>
    internal long PeakDirtyBytes => _counters.PeakDirtyBytes;

    internal async Task<int> ReadFileAsync(OpenFile file, long offset, Memory<byte> buffer, ReadAheadState readAhead, CancellationToken cancellationToken)
    {
        if (offset < 0)
        {
            throw new FileSystemException(FsError.InvalidArgument, file.Path, "negative offset.");
        }

        StagingFile? staging;
        ObjectVersion? remote;
        long size;
        string path;
        lock (file.State)
        {
            staging = file.Staging;
            remote = file.Remote;
            size = file.Size;
            path = file.Path;
            if (AccessTimes.OnRead(file, DateTimeOffset.UtcNow) && !file.Deleted)
            {
                // Kept in memory (see AccessTimes): with this version's attributes once the file is closed.
                if (!file.Dirty && remote is { } stored)
                {
                    _cache.SetAttributes(stored.Key, stored.ETag, file.Attributes);
                }

                _cache.OnChanged(path, file.ToNode());
            }
        }

        var end = Math.Min(size, offset + buffer.Length);
        if (offset >= end)
        {
            return 0;
        }

        var length = (int)(end - offset);
        var destination = buffer[..length];
        try
        {
            if (staging is null)
            {
                var read = _reader.ReadAsync(remote!.Value, offset, destination, readAhead, cancellationToken);
                if (offset == 0)
                {
                    // After this file's own GET is on its way: a program reading a directory's files in order gets
                    // the next ones fetched ahead.
                    _siblings?.OnFileRead(path);
                }

                return await read.ConfigureAwait(false);
            }

            // Local content first, then the ranges still only in the store.
            await staging.ReadAsync(offset, destination, cancellationToken).ConfigureAwait(false);
            foreach (var (start, stop) in staging.Missing(offset, end))
            {
                var slice = destination.Slice((int)(start - offset), (int)(stop - start));
                var read = await _reader.ReadAsync(remote!.Value, start, slice, null, cancellationToken).ConfigureAwait(false);
                slice.Span[read..].Clear();
            }

            return length;
        }
        catch (ObjectStoreException e) when (file.Deleted)
        {
            throw new FileSystemException(FsError.IoError, path,
                "the file was deleted while open, and these bytes had changed in the store before they could be kept locally.", e);
        }
        catch (ObjectStoreException e) when (e.Kind == ObjectStoreErrorKind.PreconditionFailed)
        {
            _cache.Invalidate(path);
            throw new FileSystemException(FsError.IoError, path, "the file changed in the store while it was open; open it again to read the new version.", e);
        }
        catch (ObjectStoreException e)
        {
            throw e.ToFileSystem(path);
        }
    }

    /// <summary>
    /// A write (<paramref name="data"/> at <paramref name="offset"/>, or at the end when the offset is -1) or a
    /// truncate (<paramref name="truncateTo"/>).
    /// </summary>
    internal async Task ChangeContentAsync(OpenFile file, long offset, ReadOnlyMemory<byte>? data, long? truncateTo, CancellationToken cancellationToken)
    {
        if (offset < -1 || truncateTo < 0)
        {
            throw new FileSystemException(FsError.InvalidArgument, file.Path, "negative offset or length.");
        }

        // A size no object of this store can have is refused as Linux refuses a length past its largest file
        // (EINVAL; pjdfstest truncate/12.t): otherwise it counted as dirty growth and failed with "no space left",
        // or, under a large --max-dirty-mib, became a file whose upload could never succeed.
        if (truncateTo > _store.Capabilities.MaxObjectSize)
        {
            throw new FileSystemException(FsError.InvalidArgument, file.Path,
                $"{truncateTo:N0} bytes is larger than the largest object the store can hold ({_store.Capabilities.MaxObjectSize:N0} bytes).");
        }

        RequireWritable(file.Path);
        await file.ContentLock.WaitAsync(cancellationToken).ConfigureAwait(false);

        // Dirty bytes this change counted before writing, not yet settled against what it really changed; given
        // back if the change fails.
        long reserved = 0;
        try
        {
            // Never change a file under a running upload: cancel it if it has not started, else let it finish.
            await _writeBack.CancelUploadLockedAsync(file, keepSyncDeadline: true).ConfigureAwait(false);
            StagingFile staging;
            long oldSize;
            long newSize;
            bool wasDirty;
            lock (file.State)
            {
                if (file.Deleted && file.Handles == 0)
                {
                    throw StoreErrors.NotFound(file.Path);
                }

                file.Staging ??= OpenStaging(file);
                staging = file.Staging;
                oldSize = file.Size;
                offset = offset == -1 ? oldSize : offset;
                wasDirty = file.Dirty;
                newSize = truncateTo ?? Math.Max(oldSize, offset + data!.Value.Length);
            }

            // Reserved before the bytes are written, in one atomic step: writers on other files that checked the
            // total and counted their bytes only after writing could together pass the limit.
            var growth = (wasDirty ? 0 : oldSize) + Math.Max(0, newSize - oldSize);
            if (growth > 0)
            {
                if (!_counters.TryReserveDirty(growth, _options.MaxDirtyBytes))
                {
                    throw new FileSystemException(FsError.NoSpace, file.Path, DirtyLimitReached(_counters.DirtyBytes, _options.MaxDirtyBytes));
                }

                reserved = growth;
            }

            // A closed file waiting for its upload may be named by its journal record: a change to those bytes goes
            // to a new staging file, so a crash still recovers what close returned for (StagingFile.Pinning.cs).
            var writable = staging.ForChange(truncateTo ?? offset, truncateTo == 0);
            if (writable != staging)
            {
                lock (file.State)
                {
                    file.Staging = writable;
                }

                staging = writable;
            }

            if (truncateTo is { } length)
            {
                staging.SetLength(oldSize, length);
            }
            else
            {
                if (offset > oldSize)
                {
                    staging.MarkZeros(oldSize, offset);
                }

                await staging.WriteAsync(offset, data!.Value, cancellationToken).ConfigureAwait(false);
            }

            var appended = truncateTo is null && offset == oldSize;
            lock (file.State)
            {
                _counters.AddDirty((wasDirty ? newSize - file.Size : newSize) - reserved);
                reserved = 0;
                file.Size = newSize;
                file.Dirty = true;
                file.EverWritten |= data is not null || truncateTo > 0;

                // While its parts stream, a file keeps the time they began (the store fixes it then), so the time
                // shown is the time kept and no copy is needed to correct it after the upload.
                if (file.Stream is null || !appended)
                {
                    file.ModifiedTime = DateTimeOffset.UtcNow;
                    file.ModifiedTimeSubTickNs = 0;
                    file.ChangeTime = file.ModifiedTime;
                }

                file.Generation++;

                // A file unlinked while open has no name any more: what it shows must not bring one back.
                if (!file.Deleted)
                {
                    _cache.OnChanged(file.Path, file.ToNode());
                }
            }

            _writeBack.OnContentChanged(file, staging, oldSize, appended, newSize);
            _writeBack.RearmSyncDeadline(file);
        }
        catch (IOException e)
        {
            throw CacheDiskError(file.Path, "the cache disk refused the write", e);
        }
        finally
        {
            if (reserved != 0)
            {
                _counters.AddDirty(-reserved);
            }

            file.ContentLock.Release();
        }
    }

    /// <summary>Why a write got "no space" from the dirty-data budget, naming the mount option that sets it.</summary>
    internal static string DirtyLimitReached(long dirtyBytes, long maxDirtyBytes) =>
        $"the cache holds {dirtyBytes:N0} bytes not yet uploaded and may hold at most {maxDirtyBytes:N0} " +
        $"({EngineOptions.MaxDirtyOption} {maxDirtyBytes / EngineOptions.MiB}); wait for uploads to finish, or mount with a larger {EngineOptions.MaxDirtyOption}.";

    internal async Task MakeFileDurableAsync(OpenFile file, CancellationToken cancellationToken)
    {
        await file.ContentLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await MakeDurableAsync(file, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            file.ContentLock.Release();
        }
    }

    /// <summary>
    /// A close() that is not the last: durable now, except a new file nothing was written to yet. A shell's
    /// `cmd > file` closes its copy of the descriptor before the command writes, and making the empty file durable
    /// then cost an fsync of the staging file and a journal record each time, for nothing the last close will
    /// not do anyway. A new file written and then emptied (another handle's O_TRUNC) is made durable: empty is
    /// what this close returned for, and a crash must not make it vanish.
    /// </summary>
    internal Task FlushFileAsync(OpenFile file, CancellationToken cancellationToken)
    {
        lock (file.State)
        {
            if (file.Size == 0 && file.Remote is null && file.Handles > 0 && !file.EverWritten)
            {
                return Task.CompletedTask;
            }
        }

        return MakeFileDurableAsync(file, cancellationToken);
    }

    internal async Task SyncFileAsync(OpenFile file, CancellationToken cancellationToken)
    {
        await MakeFileDurableAsync(file, cancellationToken).ConfigureAwait(false);
        if (_writeBack.DeferSync(file))
        {
            return;
        }

        await _writeBack.WaitForUploadAsync(file, cancellationToken).ConfigureAwait(false);
    }

    internal async Task ReleaseFileAsync(OpenFile file, CancellationToken cancellationToken)
    {
        bool last;
        bool dirty;
        bool deleted;
        lock (file.State)
        {
            file.Handles--;
            last = file.Handles == 0;
            dirty = file.Dirty;
            deleted = file.Deleted;
        }

        if (!last)
        {
            return;
        }

        if (deleted)
        {
            _writeBack.Discard(file, deleted: true);
            return;
        }

        if (!dirty)
        {
            _writeBack.ReleaseIfIdle(file);
            return;
        }

        // Scheduled even when making it durable failed (the store away, so the ranges never fetched are missing
        // from the local copy, or the cache disk refused): the upload makes it durable first and retries until it
        // can, so the change reaches the store once the store answers. Without this the file sat pending and
        // unjournaled until an fsync or the unmount. The failure still propagates: the file is not yet safe from a
        // crash, and close(2) itself already reported it from the flush before this release (docs/SEMANTICS.md).
        try
        {
            await MakeFileDurableAsync(file, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeBack.Schedule(file);
        }
    }

    private async Task MakeDurableAsync(OpenFile file, CancellationToken cancellationToken)
    {
        try
        {
            await _writeBack.MakeDurableLockedAsync(file, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectStoreException e)
        {
            throw e.ToFileSystem(file.Path);
        }
        catch (IOException e)
        {
            throw CacheDiskError(file.Path, "the cache disk could not keep the file", e);
        }
    }
}
