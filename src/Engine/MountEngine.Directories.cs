using BucketMount.Engine.Namespace;
using BucketMount.Engine.Namespace.Index;

namespace BucketMount.Engine;

public sealed partial class MountEngine
{
    /// <summary>Creates a directory: a zero-byte "dir/" marker object, so the empty directory survives.</summary>
    public Task CreateDirectoryAsync(string path, CancellationToken cancellationToken) => CreateDirectoryAsync(path, null, cancellationToken);

    /// <summary>
    /// Creates a directory whose marker keeps <paramref name="attributes"/> (mode with its S_IFDIR bits, uid, gid: the
    /// caller's, as mkdir gives them) and its creation time as its modification time.
    /// </summary>
    public async Task CreateDirectoryAsync(string path, AttributeChanges? attributes, CancellationToken cancellationToken)
    {
        path = await PrepareNewNameAsync(path, cancellationToken).ConfigureAwait(false);
        _keys.CheckPath(path, extraKeyBytes: 1);

        var now = DateTimeOffset.UtcNow;
        var kept = new KnownAttributes(attributes?.ModifiedTime ?? now, attributes?.Mode, attributes?.Uid, attributes?.Gid, ChangeTime: now);
        await StoreCallAsync(path, () => _directories.WriteAsync(_keys.ToDirectoryMarker(path), kept, cancellationToken)).ConfigureAwait(false);
        _cache.OnChanged(path, NamespaceReader.ToDirectoryNode(FsPath.Name(path), kept));

        // A new directory is empty: no LIST is needed to show it.
        _cache.SetListing(path, new DirectoryListing([]));
        await TouchDirectoryAsync(FsPath.Parent(path), now, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// chmod, chown, utimens of a directory: its marker is written with the whole new metadata (one PUT of the empty
    /// marker, which also gives a directory that was only a prefix its marker). The root has no marker and keeps nothing.
    /// </summary>
    private async Task SetDirectoryAttributesAsync(string path, NodeInfo node, AttributeChanges changes, CancellationToken cancellationToken)
    {
        if (FsPath.IsRoot(path) || !changes.ChangesMetadata)
        {
            return;
        }

        // A directory that was only a prefix shows no time of its own: it gets the time of this change.
        var modified = changes.ModifiedTime ?? (node.ModifiedTime == DateTimeOffset.UnixEpoch ? DateTimeOffset.UtcNow : node.ModifiedTime);
        var kept = new KnownAttributes(modified, changes.Mode ?? node.Mode, changes.Uid ?? node.Uid, changes.Gid ?? node.Gid,
            changes.WindowsAttributes ?? node.WindowsAttributes, changes.CreationTime ?? node.CreationTime,
            ChangeTime: DateTimeOffset.UtcNow, AccessTime: changes.AccessTime ?? node.AccessTime,
            ModifiedTimeSubTickNs: changes.ModifiedTime is null ? node.ModifiedTimeSubTickNs : changes.ModifiedTimeSubTickNs,
            AccessTimeSubTickNs: changes.AccessTime is null ? node.AccessTimeSubTickNs : changes.AccessTimeSubTickNs);
        // The parent's stored index must not keep describing the directory with its old mode once the marker changes.
        using var indexed = await StoreCallAsync(path, () => _indexes.BeginMetadataOnlyChangeAsync(_keys.ToDirectoryMarker(path), cancellationToken)).ConfigureAwait(false);
        await StoreCallAsync(path, () => _directories.WriteAsync(_keys.ToDirectoryMarker(path), kept, cancellationToken)).ConfigureAwait(false);
        _cache.OnChanged(path, NamespaceReader.ToDirectoryNode(FsPath.Name(path), kept));
    }

    /// <summary>
    /// An entry of <paramref name="directory"/> was added, removed or renamed: its modification time moves to
    /// <paramref name="now"/>, as on a local file system. Shown at once; stored with the next batch of marker writes
    /// (see <see cref="DirectoryMarkers"/>) when the directory has a marker whose metadata this mount knows.
    /// </summary>
    private async Task TouchDirectoryAsync(string directory, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (FsPath.IsRoot(directory))
        {
            return;
        }

        var marker = _keys.ToDirectoryMarker(directory);
        if (!_cache.TryGetDirectoryAttributes(marker, out _) && _options.MetadataTtl > TimeSpan.Zero)
        {
            // Forgotten since the change began (a directory rename clears the cache): a lookup learns the marker again.
            try
            {
                await LookupAsync(directory, cancellationToken).ConfigureAwait(false);
            }
            catch (FileSystemException)
            {
                return; // Only its time is at stake; the change itself is done.
            }
        }

        if (!_cache.TryGetDirectoryAttributes(marker, out var known) && _cache.TryGetNode(directory, out var shown) && shown is { IsDirectory: true, Mode: { } mode })
        {
            // Its marker's record expired before its node did: a node with a stored mode came from that marker.
            known = new KnownAttributes(shown.ModifiedTime, mode, shown.Uid, shown.Gid, shown.WindowsAttributes, shown.CreationTime,
                ChangeTime: shown.ChangeTime, AccessTime: shown.AccessTime);
        }

        if (known is not null)
        {
            var touched = known with { ModifiedTime = now, ModifiedTimeSubTickNs = 0, ChangeTime = now };
            _cache.SetDirectoryAttributes(marker, touched);
            _directories.WriteLater(marker, touched);
        }

        if (_cache.TryGetNode(directory, out var node) && node is { IsDirectory: true })
        {
            _cache.OnChanged(directory, node with { ModifiedTime = now, ModifiedTimeSubTickNs = 0, ChangeTime = now });
        }
        else if (_cache.GetListing(FsPath.Parent(directory))?.Find(FsPath.Name(directory)) is { IsDirectory: true } listed)
        {
            _cache.OnChanged(directory, listed with { ModifiedTime = now, ModifiedTimeSubTickNs = 0, ChangeTime = now });
        }
    }

    /// <summary>Removes an empty directory; refuses one with entries (NotEmpty) and the root.</summary>
    public async Task RemoveDirectoryAsync(string path, CancellationToken cancellationToken)
    {
        path = await ResolveAsync(path, cancellationToken).ConfigureAwait(false);
        RequireWritable(path);
        if (FsPath.IsRoot(path))
        {
            throw new FileSystemException(FsError.InvalidArgument, path, "the mount's root cannot be removed.");
        }

        await RequireDirectoryAsync(path, cancellationToken).ConfigureAwait(false);
        if (_registry.Below(path).Any(f => !f.Deleted))
        {
            throw new FileSystemException(FsError.NotEmpty, path, "the directory is not empty.");
        }

        // Ask the store itself, not the cache: another writer may have added something.
        var marker = _keys.ToDirectoryMarker(path);
        var index = DirectoryIndexFormat.KeyOf(marker);
        using var structure = await _indexes.BeginStructureChangeAsync(cancellationToken).ConfigureAwait(false);
        await StoreCallAsync(path, async () =>
        {
            var hasIndex = false;
            await foreach (var entry in _store.ListAsync(marker, "/", cancellationToken).ConfigureAwait(false))
            {
                hasIndex |= entry.Key == index;
                if (entry.Key != marker && entry.Key != index)
                {
                    throw new FileSystemException(FsError.NotEmpty, path, "the directory is not empty.");
                }
            }

            // The metadata index goes first: left alone it would keep the directory in the store.
            _indexes.Forget(marker);
            if (hasIndex)
            {
                await _store.DeleteAsync(index, cancellationToken).ConfigureAwait(false);
            }

            // A batched write of the marker's time must not bring it back after the delete.
            await _directories.RunExclusiveAsync(marker, flushFirst: false, () => _store.DeleteAsync(marker, cancellationToken), cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
        _cache.OnRemoved(path);
        _cache.SetDirectoryAttributes(marker, null);
        await TouchDirectoryAsync(FsPath.Parent(path), DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false);
        await KeepParentAsync(path, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Checks a name about to be created (mkdir, symlink): writable, valid, in a directory, not taken.</summary>
    private async Task<string> PrepareNewNameAsync(string path, CancellationToken cancellationToken)
    {
        path = await ResolveAsync(path, cancellationToken).ConfigureAwait(false);
        RequireWritable(path);
        _keys.ValidateName(path);
        await RequireDirectoryAsync(FsPath.Parent(path), cancellationToken).ConfigureAwait(false);
        if (await LookupAsync(path, cancellationToken).ConfigureAwait(false) is not null)
        {
            throw new FileSystemException(FsError.Exists, path, "a file or directory of that name exists.");
        }

        return path;
    }

    /// <summary>
    /// After its last child leaves, a directory that existed only as a common prefix would vanish from the store;
    /// a marker keeps it, as a local file system would.
    /// </summary>
    private async Task KeepParentAsync(string removedPath, CancellationToken cancellationToken)
    {
        var parent = FsPath.Parent(removedPath);
        if (FsPath.IsRoot(parent) || _registry.ChildrenOf(parent).Any(f => !f.Deleted) || _cache.GetListing(parent) is { Count: > 0 })
        {
            return;
        }

        var prefix = _keys.ToDirectoryPrefix(parent);
        await StoreCallAsync(parent, async () =>
        {
            await foreach (var _ in _store.ListAsync(prefix, "/", cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            await _store.PutAsync(prefix, Stream.Null, null, cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }
}
