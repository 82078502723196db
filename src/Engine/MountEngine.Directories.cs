using BucketMount.Engine.Namespace;
using BucketMount.Engine.Namespace.Index;

namespace BucketMount.Engine;

public sealed partial class MountEngine
{
    /// <summary>Creates a directory: a zero-byte "dir/" marker object, so the empty directory survives.</summary>
    public async Task CreateDirectoryAsync(string path, CancellationToken cancellationToken)
    {
        path = await PrepareNewNameAsync(path, cancellationToken).ConfigureAwait(false);
        _keys.CheckPath(path, extraKeyBytes: 1);

        await StoreCallAsync(path, () => _store.PutAsync(_keys.ToDirectoryMarker(path), Stream.Null, null, cancellationToken)).ConfigureAwait(false);
        _cache.OnChanged(path, NodeInfo.Directory(FsPath.Name(path), DateTimeOffset.UtcNow));

        // A new directory is empty: no LIST is needed to show it.
        _cache.SetListing(path, new DirectoryListing([]));
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

            await _store.DeleteAsync(marker, cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
        _cache.OnRemoved(path);
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
