using BucketMount.Backends;
using BucketMount.Engine.Caching;
using BucketMount.Engine.Files;
using BucketMount.Engine.Namespace;
using BucketMount.Engine.Reading;
using BucketMount.Engine.Writing;

namespace BucketMount.Engine;

public sealed partial class MountEngine
{
    private const int SymlinkMode = 0xA000 | 0x1FF;

    /// <summary>Opens (and with <see cref="OpenFlags.Create"/> creates) a file. Each handle must be released.</summary>
    public async Task<FileHandle> OpenAsync(string path, OpenFlags flags, CancellationToken cancellationToken)
    {
        path = await ResolveAsync(path, cancellationToken).ConfigureAwait(false);
        var writes = (flags & (OpenFlags.Write | OpenFlags.Create | OpenFlags.Truncate)) != 0;
        if (writes)
        {
            RequireWritable(path);
        }

        OpenFile file;
        try
        {
            file = await FindOrCreateAsync(path, flags, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            // A new file's staging file could not be created: out of descriptors or of disk.
            throw CacheDiskError(path, "the cache disk could not hold the new file", e);
        }

        var handle = new FileHandle(this, file, flags, NewReadAheadState());
        if (flags.HasFlag(OpenFlags.Truncate) && flags.HasFlag(OpenFlags.Write))
        {
            try
            {
                await ChangeContentAsync(file, 0, null, truncateTo: 0, cancellationToken).ConfigureAwait(false);
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
    /// Deletes a file (unlink). The name is gone at once; handles still open keep reading and writing a whole local
    /// copy (fetched before the object goes) until their last close, and nothing of it is uploaded again.
    /// </summary>
    public Task DeleteFileAsync(string path, CancellationToken cancellationToken) => DeleteFileAsync(path, keepForOpenHandles: true, cancellationToken);

    /// <summary>
    /// Deletes a file. Without <paramref name="keepForOpenHandles"/> nothing is fetched for handles still open: for a
    /// host whose delete happens as the last handle closes (Windows), so deleting a large file downloads nothing.
    /// </summary>
    public async Task DeleteFileAsync(string path, bool keepForOpenHandles, CancellationToken cancellationToken)
    {
        path = await ResolveAsync(path, cancellationToken).ConfigureAwait(false);
        RequireWritable(path);
        var node = await LookupAsync(path, cancellationToken).ConfigureAwait(false) ?? throw StoreErrors.NotFound(path);
        if (node.IsDirectory)
        {
            throw new FileSystemException(FsError.IsADirectory, path, "is a directory; remove it with rmdir.");
        }

        var neverSent = false;
        if (await LockRegisteredAsync(path, CancellationToken.None).ConfigureAwait(false) is { } file)
        {
            await ForgetLocalFileLockedAsync(file, cancellationToken, keepForOpenHandles).ConfigureAwait(false);
            lock (file.State)
            {
                neverSent = file.NeverSent && file.Remote is null;
            }
        }

        // Deleted even when we never uploaded it, since a cancelled upload may still have landed; unless no upload
        // of it ever began (a database's rollback journal, created and deleted within a transaction).
        if (!neverSent)
        {
            await StoreCallAsync(path, () => _store.DeleteAsync(_keys.ToKey(path), cancellationToken)).ConfigureAwait(false);
        }

        _cache.OnRemoved(path);
        await TouchDirectoryAsync(FsPath.Parent(path), DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false);
        await KeepParentAsync(path, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sets size, modification time, mode, owner or group; a directory's are kept in its marker's metadata.</summary>
    public async Task SetAttributesAsync(string path, AttributeChanges changes, CancellationToken cancellationToken)
    {
        path = await ResolveAsync(path, cancellationToken).ConfigureAwait(false);
        RequireWritable(path);
        var node = await LookupAsync(path, cancellationToken).ConfigureAwait(false) ?? throw StoreErrors.NotFound(path);
        if (node.IsDirectory)
        {
            if (changes.Size is not null)
            {
                throw new FileSystemException(FsError.IsADirectory, path, "a directory has no size to set.");
            }

            await SetDirectoryAttributesAsync(path, node, changes, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (node.IsSpecial && changes.Size is not null)
        {
            throw new FileSystemException(FsError.InvalidArgument, path, "a FIFO, socket or device node has no size to set.");
        }

        if (changes.Size is { } size)
        {
            await using var handle = await OpenAsync(path, OpenFlags.Write, cancellationToken).ConfigureAwait(false);
            await handle.TruncateAsync(size, cancellationToken).ConfigureAwait(false);
        }

        if (!changes.ChangesMetadata)
        {
            return;
        }

        changes = changes with { ChangeTime = DateTimeOffset.UtcNow };

        if (_registry.Find(path) is { Deleted: false } file && await ChangeLocalAttributesAsync(file, changes, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        await ReplaceStoredAttributesAsync(path, changes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates a symbolic link stored the way s3fs stores one: an object holding the target, mode S_IFLNK|0777.</summary>
    public async Task CreateSymlinkAsync(string path, string target, CancellationToken cancellationToken)
    {
        path = await PrepareNewNameAsync(path, cancellationToken).ConfigureAwait(false);

        var now = DateTimeOffset.UtcNow;
        // A target is bytes, like a name: one that is not UTF-8 is kept exactly.
        var bytes = RawNames.ToBytes(target);
        var key = _keys.ToKey(path);
        var info = await StoreCallAsync(path, () => _store.PutAsync(key, new MemoryStream(bytes),
            new PutOptions { Metadata = ObjectMetadata.Build(now, SymlinkMode, null, null) }, cancellationToken)).ConfigureAwait(false);
        _cache.SetAttributes(key, info.ETag, new KnownAttributes(now, SymlinkMode, null, null));
        _cache.SetLinkTarget(key, info.ETag, bytes);
        _cache.OnChanged(path, _namespace.ToNode(FsPath.Name(path), info));
        await TouchDirectoryAsync(FsPath.Parent(path), now, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Creates a FIFO, socket or device node (mknod) stored as s3fs stores one: an empty object whose <c>mode</c> carries
    /// the type bits, with <c>rdev</c> for a device. Its data, if any, lives in the kernel of this machine only.
    /// </summary>
    public async Task CreateSpecialFileAsync(string path, int mode, long rdev, int? uid, int? gid, CancellationToken cancellationToken)
    {
        var kind = NodeKinds.FromMode(mode);
        if (!NodeKinds.IsSpecial(kind))
        {
            throw new FileSystemException(FsError.InvalidArgument, path, "mknod makes only FIFOs, sockets and device nodes here; create files with open.");
        }

        path = await PrepareNewNameAsync(path, cancellationToken).ConfigureAwait(false);
        var now = DateTimeOffset.UtcNow;
        var attributes = new KnownAttributes(now, mode, uid, gid, Rdev: kind is NodeKind.CharDevice or NodeKind.BlockDevice ? rdev : null);
        var key = _keys.ToKey(path);
        var info = await StoreCallAsync(path, () => _store.PutAsync(key, Stream.Null, new PutOptions { Metadata = ObjectMetadata.Build(attributes) }, cancellationToken))
            .ConfigureAwait(false);
        _cache.SetAttributes(key, info.ETag, attributes);
        _cache.OnChanged(path, _namespace.ToNode(FsPath.Name(path), info));
        await TouchDirectoryAsync(FsPath.Parent(path), now, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Where a symbolic link points.</summary>
    public async Task<string> ReadSymlinkAsync(string path, CancellationToken cancellationToken)
    {
        path = await ResolveAsync(path, cancellationToken).ConfigureAwait(false);
        var node = await LookupAsync(path, cancellationToken).ConfigureAwait(false) ?? throw StoreErrors.NotFound(path);
        if (node.Kind != NodeKind.Symlink)
        {
            throw new FileSystemException(FsError.InvalidArgument, path, "not a symbolic link.");
        }

        if (node.LinkTarget is { } known)
        {
            return known;
        }

        var key = _keys.ToKey(path);
        if (node.ETag is { } etag && _cache.GetLinkTarget(key, etag) is { } cached)
        {
            return RawNames.FromBytes(cached);
        }

        using var target = new MemoryStream();
        var conditional = node.ETag is not null && _store.Capabilities.ConditionalReads;
        try
        {
            await _store.ReadToAsync(key, 0, 4096, target, conditional ? new ReadOptions { IfMatch = node.ETag } : null, cancellationToken).ConfigureAwait(false);
            if (conditional)
            {
                // Read from the very version listed: the index may keep it, so the next mount's `ls -l` needs no GET.
                _cache.SetLinkTarget(key, node.ETag!, target.ToArray());
            }
        }
        catch (ObjectStoreException e) when (e.Kind == ObjectStoreErrorKind.PreconditionFailed)
        {
            target.SetLength(0);
            await StoreCallAsync(path, () => _store.ReadToAsync(key, 0, 4096, target, null, cancellationToken)).ConfigureAwait(false);
        }
        catch (ObjectStoreException e)
        {
            _health.OnFailure(e);
            throw e.ToFileSystem(path);
        }

        return RawNames.FromBytes(target.ToArray());
    }

    private async Task<OpenFile> FindOrCreateAsync(string path, OpenFlags flags, CancellationToken cancellationToken)
    {
        // A file found in the registry can leave it (clean and unused) before the handle is added; then the path
        // is a plain store object again and the next attempt registers it anew.
        for (var attempt = 0; attempt < RegistryAttempts; attempt++)
        {
            if (await TryFindOrCreateAsync(path, flags, cancellationToken).ConfigureAwait(false) is { } file)
            {
                return file;
            }
        }

        throw RegistryBusy(path);
    }

    private async Task<OpenFile?> TryFindOrCreateAsync(string path, OpenFlags flags, CancellationToken cancellationToken)
    {
        var exclusive = flags.HasFlag(OpenFlags.Create) && flags.HasFlag(OpenFlags.Exclusive);
        if (_registry.Find(path) is { Deleted: false } open)
        {
            return exclusive ? throw Exists(path) : AddHandle(open);
        }

        var node = await LookupAsync(path, cancellationToken).ConfigureAwait(false);
        if (node is not null && exclusive)
        {
            throw Exists(path);
        }

        if (node is { IsDirectory: true })
        {
            throw new FileSystemException(FsError.IsADirectory, path, "is a directory.");
        }

        if (node is { IsSpecial: true })
        {
            // Its object is an empty placeholder: the kernel serves a FIFO, socket or device itself, never by reading it.
            throw new FileSystemException(FsError.NotSupported, path, "a FIFO, socket or device node is not opened as a file here.");
        }

        if (node is null)
        {
            if (!flags.HasFlag(OpenFlags.Create))
            {
                throw StoreErrors.NotFound(path);
            }

            _keys.ValidateName(path);
            await RequireDirectoryAsync(FsPath.Parent(path), cancellationToken).ConfigureAwait(false);
            var created = false;
            var file = _registry.GetOrAdd(path, () =>
            {
                created = true;
                return NewLocalFile(path);
            });
            if (!created && exclusive)
            {
                throw Exists(path);
            }

            lock (file.State)
            {
                _cache.OnChanged(path, file.ToNode());
            }

            if (created)
            {
                await TouchDirectoryAsync(FsPath.Parent(path), DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false);
            }

            return AddHandle(file);
        }

        if (exclusive)
        {
            throw Exists(path);
        }

        var existing = _registry.GetOrAdd(path, () => OpenFile.FromStored(_registry.NextId(), path, new ObjectVersion(_keys.ToKey(path), node.ETag!, node.Size), node));
        return AddHandle(existing);
    }

    private OpenFile NewLocalFile(string path)
    {
        var now = DateTimeOffset.UtcNow;
        var file = new OpenFile(_registry.NextId(), path)
        {
            // POSIX: creating a file sets all three times.
            ModifiedTime = now,
            ChangeTime = now,
            AccessTime = now,
            Dirty = true,
            Generation = 1,
            NeverSent = true,
        };
        file.Staging = OpenStaging(file);
        return file;
    }

    /// <summary>Null when the file left the registry since it was found there.</summary>
    private static OpenFile? AddHandle(OpenFile file)
    {
        lock (file.State)
        {
            if (file.Released)
            {
                return null;
            }

            file.Handles++;
        }

        return file;
    }

    /// <summary>
    /// The registered file at <paramref name="path"/> with its content lock taken, or null when none is. A file
    /// found there may leave the registry before the lock is taken; then the path is looked up again.
    /// </summary>
    private async Task<OpenFile?> LockRegisteredAsync(string path, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < RegistryAttempts; attempt++)
        {
            if (_registry.Find(path) is not { } file)
            {
                return null;
            }

            if (await TryLockUnreleasedAsync(file, cancellationToken).ConfigureAwait(false))
            {
                return file;
            }
        }

        throw RegistryBusy(path);
    }

    /// <summary>Takes the content lock of a file found in the registry; false (and not held) when it left the registry meanwhile.</summary>
    private static async Task<bool> TryLockUnreleasedAsync(OpenFile file, CancellationToken cancellationToken)
    {
        await file.ContentLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (file.State)
        {
            if (!file.Released)
            {
                return true;
            }
        }

        file.ContentLock.Release();
        return false;
    }

    // Each attempt needs another file to have been registered at the path and released again meanwhile.
    private const int RegistryAttempts = 16;

    private static FileSystemException RegistryBusy(string path) =>
        new(FsError.IoError, path, "the file was opened and closed by others too often to be looked up; try again.");

    private string StagingPath(OpenFile file) => Path.Combine(_stagingFolder, $"{file.Id:D19}.data");

    private StagingFile OpenStaging(OpenFile file) => StagingFile.Open(StagingPath(file), descriptors: _stagingDescriptors);

    private static FileSystemException Exists(string path) => new(FsError.Exists, path, "the file exists (O_EXCL).");

    /// <summary>
    /// Cancels uploads of a file being deleted or replaced and takes its name away; releases its content lock. A file
    /// nobody has open is forgotten. One still open lives on without a name, as POSIX unlink wants (tmpfile(),
    /// SQLite's -shm, editors' swap files): its handles keep reading and writing a whole local copy, fetched here
    /// before the caller deletes or replaces the object, and nothing of it is ever uploaded or recovered again.
    /// </summary>
    private async Task ForgetLocalFileLockedAsync(OpenFile file, CancellationToken cancellationToken, bool keepForOpenHandles = true)
    {
        try
        {
            await _writeBack.StopUploadsForOldKeyLockedAsync(file).ConfigureAwait(false);
            bool open;
            lock (file.State)
            {
                open = file.Handles > 0;
            }

            if (open && keepForOpenHandles)
            {
                await KeepWholeContentLockedAsync(file, cancellationToken).ConfigureAwait(false);
            }

            bool stillOpen;
            lock (file.State)
            {
                file.Deleted = true;
                stillOpen = file.Handles > 0;

                // Its link count drops to 0: a status change its open handles' fstat shows.
                file.ChangeTime = DateTimeOffset.UtcNow;
            }

            _registry.Remove(file);
            if (stillOpen)
            {
                _writeBack.Orphan(file);
            }
            else
            {
                _writeBack.Discard(file, deleted: true);
            }
        }
        finally
        {
            file.ContentLock.Release();
        }
    }

    /// <summary>Attributes of an open or dirty file change locally and travel with its upload. False when the file is clean and closed.</summary>
    private async Task<bool> ChangeLocalAttributesAsync(OpenFile file, AttributeChanges changes, CancellationToken cancellationToken)
    {
        await file.ContentLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await ChangeLocalAttributesLockedAsync(file, changes, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            file.ContentLock.Release();
        }
    }

    /// <summary><see cref="ChangeLocalAttributesAsync"/> for a caller holding the content lock.</summary>
    private async Task<bool> ChangeLocalAttributesLockedAsync(OpenFile file, AttributeChanges changes, CancellationToken cancellationToken)
    {
        // First let an upload that may have landed finish as the version it sent, as a write does: changed
        // under it, it would not record the ETag it got, and the next upload, conditioned on the version
        // before, would take our own upload for someone else's change.
        await _writeBack.CancelUploadLockedAsync(file).ConfigureAwait(false);
        lock (file.State)
        {
            if (!file.Dirty && file.Handles == 0)
            {
                return false;
            }

            Apply(file, changes);
            if (!file.Dirty)
            {
                // Only attributes changed on a clean open file: its upload will carry them.
                file.Dirty = true;
                _counters.AddDirty(file.Size);
                file.Staging ??= OpenStaging(file);
            }

            file.Generation++;
        }

        if (file.Handles == 0)
        {
            // Its upload was cancelled above: rescheduled even when making it durable fails (a close that could not
            // fetch the missing ranges, the store still away), or the change would wait for an fsync or the unmount.
            try
            {
                await _writeBack.MakeDurableLockedAsync(file, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _writeBack.Schedule(file);
            }
        }

        lock (file.State)
        {
            _cache.OnChanged(file.Path, file.ToNode());
        }

        return true;
    }

    private static void Apply(OpenFile file, AttributeChanges changes)
    {
        file.ModifiedTimeSubTickNs = changes.ModifiedTime is null ? file.ModifiedTimeSubTickNs : changes.ModifiedTimeSubTickNs;
        file.AccessTimeSubTickNs = changes.AccessTime is null ? file.AccessTimeSubTickNs : changes.AccessTimeSubTickNs;
        file.ModifiedTime = changes.ModifiedTime ?? file.ModifiedTime;
        file.Mode = changes.Mode ?? file.Mode;
        file.Uid = changes.Uid ?? file.Uid;
        file.Gid = changes.Gid ?? file.Gid;
        file.WindowsAttributes = changes.WindowsAttributes ?? file.WindowsAttributes;
        file.CreationTime = changes.CreationTime ?? file.CreationTime;
        file.ChangeTime = changes.ChangeTime ?? file.ChangeTime;
        file.AccessTime = changes.AccessTime ?? file.AccessTime;
    }

    /// <summary>A closed, clean file's attributes change in place in the store: a self-copy with new metadata.</summary>
    private async Task ReplaceStoredAttributesAsync(string path, AttributeChanges changes, CancellationToken cancellationToken)
    {
        var key = _keys.ToKey(path);
        var current = await StoreCallAsync(path, () => _store.HeadAsync(key, cancellationToken)).ConfigureAwait(false) ?? throw StoreErrors.NotFound(path);
        var node = _namespace.ToNodeWithMetadata(FsPath.Name(path), current);
        if (node.Kind != NodeKind.File)
        {
            await CopyWithAttributesAsync(path, key, current, node, changes, cancellationToken).ConfigureAwait(false);
            return;
        }

        // The copy is made holding the file's content lock, registered for it: no upload of the file can start
        // meanwhile, and a program that opens it to write waits until the file stands for the copy. Else an upload
        // could be based on the version before the copy (and take the copy for someone else's change), or the copy's
        // answer, coming after an upload, would set the file and the cache back to the older version.
        var file = await LockForAttributeCopyAsync(path, key, current, node, cancellationToken).ConfigureAwait(false);
        try
        {
            if (await ChangeLocalAttributesLockedAsync(file, changes, cancellationToken).ConfigureAwait(false))
            {
                return; // Opened or changed since: the change travels with its upload.
            }

            var copied = await CopyWithAttributesAsync(path, key, current, node, changes, cancellationToken).ConfigureAwait(false);
            lock (file.State)
            {
                Apply(file, changes);
                if (file.Remote?.ETag == current.ETag)
                {
                    // The copy holds the same bytes as the version the file stands for: it stands for the copy now.
                    file.Remote = new ObjectVersion(key, copied.ETag, copied.Size);
                }

                _cache.OnChanged(path, file.ToNode());
            }
        }
        finally
        {
            file.ContentLock.Release();
            _writeBack.ReleaseIfIdle(file);
        }
    }

    private async Task<ObjectInfo> CopyWithAttributesAsync(string path, string key, ObjectInfo current, NodeInfo node, AttributeChanges changes,
        CancellationToken cancellationToken)
    {
        var attributes = new KnownAttributes(changes.ModifiedTime ?? node.ModifiedTime, changes.Mode ?? node.Mode, changes.Uid ?? node.Uid, changes.Gid ?? node.Gid,
            changes.WindowsAttributes ?? node.WindowsAttributes, changes.CreationTime ?? node.CreationTime, node.Rdev, changes.ChangeTime ?? node.ChangeTime,
            changes.AccessTime ?? node.AccessTime,
            changes.ModifiedTime is null ? node.ModifiedTimeSubTickNs : changes.ModifiedTimeSubTickNs,
            changes.AccessTime is null ? node.AccessTimeSubTickNs : changes.AccessTimeSubTickNs,
            ObjectMetadata.Parse(current.Metadata, current.LastModified).OtherMetadata); // another tool's keys stay
        // The stored index must not describe this version with the old metadata once the copy lands (same ETag).
        using var indexed = await StoreCallAsync(path, () => _indexes.BeginMetadataOnlyChangeAsync(key, cancellationToken)).ConfigureAwait(false);
        var copied = await StoreCallAsync(path, () => SelfCopyAsync(key, current, ObjectMetadata.Build(attributes), cancellationToken)).ConfigureAwait(false);
        _cache.SetAttributes(key, copied.ETag, attributes);
        _cache.OnChanged(path, _namespace.ToNode(FsPath.Name(path), copied));
        return copied;
    }
}
