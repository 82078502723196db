using BucketMount.Backends;
using BucketMount.Engine.Caching;
using BucketMount.Engine.Files;
using BucketMount.Engine.Namespace;

namespace BucketMount.Engine;

public sealed partial class MountEngine
{
    private const int RenameParallelism = 16;

    /// <summary>
    /// Renames a file (server-side copy, then delete) or a directory (every object below it copied in parallel,
    /// then the old ones deleted: not atomic). Replaces an existing file, or an empty directory with a directory,
    /// unless <paramref name="noReplace"/>. Open and dirty files follow the rename.
    /// </summary>
    public async Task RenameAsync(string from, string to, bool noReplace, CancellationToken cancellationToken)
    {
        from = await ResolveAsync(from, cancellationToken).ConfigureAwait(false);
        var asked = Normalize(to);
        to = await ResolveAsync(to, cancellationToken).ConfigureAwait(false);
        if (to == from && asked != from && string.Equals(asked, from, StringComparison.OrdinalIgnoreCase))
        {
            // A case-only rename on a case-insensitive mount ("a.txt" to "A.txt"): the new spelling is the point.
            to = FsPath.Combine(await ResolveAsync(FsPath.Parent(asked), cancellationToken).ConfigureAwait(false), FsPath.Name(asked));
        }

        RequireWritable(from);
        if (from == to)
        {
            return;
        }

        if (KeysCollideIgnoringCase(from, to))
        {
            // A local store on a case-insensitive file system (NTFS, APFS) keeps "a.txt" and "A.txt" in one file:
            // copying to the new spelling and deleting the old one would delete the file itself. Two renames through a
            // name of its own never meet, and at every moment one of the names holds the data.
            var aside = FsPath.Combine(FsPath.Parent(to), $".bucketmount-case-{Guid.NewGuid():N}");
            await RenameAsync(from, aside, noReplace: true, cancellationToken).ConfigureAwait(false);
            await RenameAsync(aside, to, noReplace, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (FsPath.IsRoot(from) || FsPath.IsSelfOrBelow(to, from))
        {
            throw new FileSystemException(FsError.InvalidArgument, to, "a directory cannot move into itself.");
        }

        _keys.ValidateName(to);
        var source = await LookupAsync(from, cancellationToken).ConfigureAwait(false) ?? throw StoreErrors.NotFound(from);
        await RequireDirectoryAsync(FsPath.Parent(to), cancellationToken).ConfigureAwait(false);
        var target = await LookupAsync(to, cancellationToken).ConfigureAwait(false);
        if (target is not null)
        {
            await PrepareReplaceAsync(source, to, target, noReplace, cancellationToken).ConfigureAwait(false);
        }

        if (source.IsDirectory)
        {
            await RenameDirectoryAsync(from, to, source, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await RenameFileAsync(from, to, source, target, cancellationToken).ConfigureAwait(false);
        }

        var now = DateTimeOffset.UtcNow;
        await TouchDirectoryAsync(FsPath.Parent(from), now, cancellationToken).ConfigureAwait(false);
        await TouchDirectoryAsync(FsPath.Parent(to), now, cancellationToken).ConfigureAwait(false);
        await KeepParentAsync(from, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether two paths that differ only in case name one object in the store (a local folder on Windows or macOS).</summary>
    private bool KeysCollideIgnoringCase(string from, string to) =>
        _store.Capabilities.CaseInsensitiveKeys && string.Equals(from, to, StringComparison.OrdinalIgnoreCase);

    private async Task PrepareReplaceAsync(NodeInfo source, string to, NodeInfo target, bool noReplace, CancellationToken cancellationToken)
    {
        if (noReplace)
        {
            throw new FileSystemException(FsError.Exists, to, "the target exists and the rename may not replace it.");
        }

        if (source.IsDirectory != target.IsDirectory)
        {
            throw source.IsDirectory
                ? new FileSystemException(FsError.NotADirectory, to, "a directory cannot replace a file.")
                : new FileSystemException(FsError.IsADirectory, to, "a file cannot replace a directory.");
        }

        if (target.IsDirectory)
        {
            if ((await ListDirectoryAsync(to, cancellationToken).ConfigureAwait(false)).Count > 0)
            {
                throw new FileSystemException(FsError.NotEmpty, to, "the target directory is not empty.");
            }

            return;
        }

        // The replaced file's pending upload must not land after the rename and undo it; handles still open on it
        // keep a whole local copy, fetched before the copy below replaces the object.
        if (await LockRegisteredAsync(to, CancellationToken.None).ConfigureAwait(false) is { } replaced)
        {
            await ForgetLocalFileLockedAsync(replaced, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task RenameFileAsync(string from, string to, NodeInfo source, NodeInfo? target, CancellationToken cancellationToken)
    {
        var fromKey = _keys.ToKey(from);
        var toKey = _keys.ToKey(to);
        var file = await LockRegisteredAsync(from, cancellationToken).ConfigureAwait(false);
        if (file is null)
        {
            var (copied, changed) = await CopyForRenameAsync(from, fromKey, toKey, source.ETag, cancellationToken).ConfigureAwait(false);
            if (source.ETag is { } sourceETag && _cache.GetLinkTarget(fromKey, sourceETag) is { } linkTarget)
            {
                // The destination directory's index can answer readlink too.
                _cache.SetLinkTarget(toKey, copied.ETag, linkTarget);
            }

            await StoreCallAsync(from, () => _store.DeleteAsync(fromKey, cancellationToken)).ConfigureAwait(false);
            _cache.OnRemoved(from);
            // The copy's own ETag: on Azure (and S3 for a multipart source) a copy is a new version, and reads of the
            // new name ask for exactly the version the mount knows (If-Match).
            _cache.OnChanged(to, source with { Name = FsPath.Name(to), ETag = copied.ETag, ChangeTime = changed ?? source.ChangeTime });
            return;
        }

        try
        {
            // Parts sent while it was written went to the old key: the file is uploaded whole under the new one.
            await _writeBack.StopUploadsForOldKeyLockedAsync(file).ConfigureAwait(false);
            bool dirty;
            ObjectVersion? remote;
            lock (file.State)
            {
                dirty = file.Dirty;
                remote = file.Remote;
            }

            if (dirty)
            {
                // Its content must not depend on the old key any more: fetch what is missing, then upload under the new
                // one, replacing exactly what stands there now.
                await MakeDurableAsync(file, cancellationToken).ConfigureAwait(false);
                remote = await ReplacedVersionAsync(to, toKey, target, cancellationToken).ConfigureAwait(false);
            }
            else if (remote is not null)
            {
                var (copied, changed) = await CopyForRenameAsync(from, fromKey, toKey, remote.Value.ETag, cancellationToken).ConfigureAwait(false);
                remote = new ObjectVersion(toKey, copied.ETag, copied.Size);
                lock (file.State)
                {
                    file.ChangeTime = changed ?? file.ChangeTime;
                }
            }

            _registry.Move(from, to);
            lock (file.State)
            {
                if (dirty)
                {
                    // A rename is a status change; a dirty file's upload under the new name carries it.
                    file.ChangeTime = DateTimeOffset.UtcNow;
                }

                file.Remote = remote;
                file.JournaledGeneration = dirty ? -1 : file.JournaledGeneration;
                file.Generation++;
            }

            if (dirty)
            {
                // Rewrite the journal record under the new path before the old object goes.
                await MakeDurableAsync(file, cancellationToken).ConfigureAwait(false);
            }

            // Deleted even when we never uploaded it: a cancelled upload may still have landed.
            await StoreCallAsync(from, () => _store.DeleteAsync(fromKey, cancellationToken)).ConfigureAwait(false);

            _cache.OnRemoved(from);
            lock (file.State)
            {
                _cache.OnChanged(to, file.ToNode());
            }
        }
        finally
        {
            file.ContentLock.Release();

            // Its upload was stopped above: rescheduled under whichever name it has now even when the rename failed
            // (the store away), or the change would wait for an fsync or the unmount.
            _writeBack.Schedule(file);
        }
    }

    private async Task RenameDirectoryAsync(string from, string to, NodeInfo source, CancellationToken cancellationToken)
    {
        // No metadata index is written while keys move: one written into the old directory would bring it back.
        using var structure = await _indexes.BeginStructureChangeAsync(cancellationToken).ConfigureAwait(false);
        var fromPrefix = _keys.ToDirectoryPrefix(from);
        var toPrefix = _keys.ToDirectoryPrefix(to);

        // Local files below move first, so their uploads go to the new keys. Their content locks keep their writers
        // and uploads out until the copies stand at the new keys; stat and listings take only their state lock.
        var local = await LockBelowInPathOrderAsync(from, cancellationToken).ConfigureAwait(false);
        var locked = true;
        var moved = false;
        try
        {
            foreach (var file in local)
            {
                await _writeBack.StopUploadsForOldKeyLockedAsync(file).ConfigureAwait(false);

                // Checks under the file's state lock whether it is dirty: its content must not depend on the old key.
                await MakeDurableAsync(file, cancellationToken).ConfigureAwait(false);
            }

            // Pending directory times below go with the copy; none may land on an old marker after its delete.
            await StoreCallAsync(from, () => _directories.FlushBelowAsync(fromPrefix, cancellationToken)).ConfigureAwait(false);
            var listed = new List<ListEntry>();
            await StoreCallAsync(from, async () =>
            {
                await foreach (var entry in _store.ListAsync(fromPrefix, null, cancellationToken).ConfigureAwait(false))
                {
                    listed.Add(entry);
                }
            }).ConfigureAwait(false);

            var keys = listed.Select(e => e.Key).ToList();
            var copies = new Dictionary<string, ObjectInfo>(StringComparer.Ordinal);
            await StoreCallAsync(from, () => Parallel.ForEachAsync(listed, new ParallelOptions { MaxDegreeOfParallelism = RenameParallelism, CancellationToken = cancellationToken },
                async (entry, ct) =>
                {
                    var key = entry.Key;
                    var copied = await _store.CopyAsync(key, toPrefix + key[fromPrefix.Length..], new CopyOptions { SourceSize = entry.Object?.Size }, ct).ConfigureAwait(false);
                    lock (copies)
                    {
                        copies[key] = copied;
                    }
                })).ConfigureAwait(false);
            if (!keys.Contains(fromPrefix))
            {
                // A directory that was only a prefix keeps existing at its new name even when empty later.
                await StoreCallAsync(to, () => _store.PutAsync(toPrefix, Stream.Null, null, cancellationToken)).ConfigureAwait(false);
            }

            _registry.Move(from, to);
            foreach (var file in local)
            {
                bool dirty;
                lock (file.State)
                {
                    // The copy below is what now stands at the file's new key, dirty or not: later renames and
                    // deletes must know an object is there.
                    dirty = file.Dirty;
                    var copied = file.Remote is { } old ? copies.GetValueOrDefault(old.Key) : null;
                    // A dirty one's upload replaces that copy (If-Match), or creates the name (If-None-Match): another
                    // writer's object landing there first is a conflict, not overwritten.
                    file.Remote = copied is null ? null : new ObjectVersion(_keys.ToKey(file.Path), copied.ETag, copied.Size);
                    file.JournaledGeneration = dirty ? -1 : file.JournaledGeneration;
                    file.Generation++;
                }

                if (dirty)
                {
                    // Its journal record names the new path before the old object goes.
                    await MakeDurableAsync(file, cancellationToken).ConfigureAwait(false);
                }
            }

            // Everything below the new name is in place: the deletes of the old keys need no file held.
            ReleaseAll(local);
            locked = false;
            var failures = await StoreCallAsync(from, () => _store.DeleteManyAsync(keys, cancellationToken)).ConfigureAwait(false);
            if (failures.Count > 0)
            {
                throw new FileSystemException(FsError.IoError, from,
                    $"the directory was copied to {to} but {failures.Count} old object(s) could not be deleted: {failures[0].Error.Message}");
            }

            moved = true;
        }
        finally
        {
            if (locked)
            {
                ReleaseAll(local);
            }

            // What was cached below either name is stale, however far the rename got; the rest of the cache stays.
            _cache.InvalidateSubtree(from, fromPrefix);
            _cache.InvalidateSubtree(to, toPrefix);
            if (moved)
            {
                _cache.OnRemoved(from);
                _cache.OnChanged(to, source with { Name = FsPath.Name(to) });
            }
            else
            {
                // Stopped halfway: which names stand where is for the store to say.
                _cache.InvalidateListing(FsPath.Parent(from));
                _cache.InvalidateListing(FsPath.Parent(to));
            }
        }

        foreach (var file in local)
        {
            _writeBack.Schedule(file);
        }
    }

    /// <summary>
    /// Takes the content locks of the local files below <paramref name="directory"/>, in path order: whoever holds
    /// several of them took them in the same order, so two such operations never wait for each other in a circle.
    /// One released meanwhile is a plain object now (the listing copies it like any other); one moved out meanwhile
    /// is no longer below.
    /// </summary>
    private async Task<List<OpenFile>> LockBelowInPathOrderAsync(string directory, CancellationToken cancellationToken)
    {
        var below = _registry.Below(directory);
        var paths = new Dictionary<OpenFile, string>();
        foreach (var file in below)
        {
            lock (file.State)
            {
                paths[file] = file.Path;
            }
        }

        var locked = new List<OpenFile>();
        try
        {
            foreach (var file in below.OrderBy(f => paths[f], StringComparer.Ordinal))
            {
                if (!await TryLockUnreleasedAsync(file, cancellationToken).ConfigureAwait(false))
                {
                    continue;
                }

                bool keep;
                lock (file.State)
                {
                    keep = !file.Deleted && FsPath.IsSelfOrBelow(file.Path, directory) && file.Path != directory;
                }

                if (keep)
                {
                    locked.Add(file);
                }
                else
                {
                    file.ContentLock.Release();
                }
            }
        }
        catch
        {
            ReleaseAll(locked);
            throw;
        }

        return locked;
    }

    private static void ReleaseAll(List<OpenFile> files)
    {
        foreach (var file in files)
        {
            file.ContentLock.Release();
        }
    }

    /// <summary>
    /// The version a dirty file renamed onto <paramref name="to"/> replaces: its upload is conditioned on it (If-Match,
    /// or If-None-Match when the name was free), and journaled with it, so another writer's object landing at the name
    /// between the rename and our upload meets the conflict policy instead of being overwritten. A replaced file of
    /// ours whose upload may have landed unseen is asked for (HEAD).
    /// </summary>
    private async Task<ObjectVersion?> ReplacedVersionAsync(string to, string toKey, NodeInfo? target, CancellationToken cancellationToken)
    {
        if (target is null)
        {
            return null;
        }

        if (target.ETag is { } etag)
        {
            return new ObjectVersion(toKey, etag, target.Size);
        }

        var current = await StoreCallAsync(to, () => _store.HeadAsync(toKey, cancellationToken)).ConfigureAwait(false);
        return current is null ? null : new ObjectVersion(toKey, current.ETag, current.Size);
    }

    /// <summary>
    /// A file rename's copy. When this version's stored attributes are known (our own upload, an earlier HEAD) the
    /// copy carries them with a new ctime, as POSIX wants of a rename, in the same request; otherwise it keeps the
    /// source's metadata as stored (no extra HEAD per rename) and the ctime stays. Returns the new ctime, if set.
    /// </summary>
    private async Task<(ObjectInfo Copied, DateTimeOffset? ChangeTime)> CopyForRenameAsync(string from, string fromKey, string toKey, string? etag,
        CancellationToken cancellationToken)
    {
        if (etag is not null && _cache.GetAttributes(fromKey, etag) is { } known)
        {
            var attributes = known with { ChangeTime = DateTimeOffset.UtcNow };
            var options = new CopyOptions { ReplaceMetadata = ObjectMetadata.Build(attributes), SourceIfMatch = etag };
            var copied = await StoreCallAsync(from, async () =>
            {
                try
                {
                    return await _store.CopyAsync(fromKey, toKey, options, cancellationToken).ConfigureAwait(false);
                }
                catch (ObjectStoreException e) when (e.Kind == ObjectStoreErrorKind.PreconditionFailed)
                {
                    // Someone else replaced the object since we knew its attributes: theirs are moved as they are.
                    return null;
                }
            }).ConfigureAwait(false);
            if (copied is not null)
            {
                _cache.SetAttributes(toKey, copied.ETag, attributes);
                return (copied, attributes.ChangeTime);
            }
        }

        return (await StoreCallAsync(from, () => _store.CopyAsync(fromKey, toKey, null, cancellationToken)).ConfigureAwait(false), null);
    }
}
