using BucketMount.Backends;
using BucketMount.Engine.Namespace;

namespace BucketMount.Engine;

public sealed partial class MountEngine
{
    /// <summary>The buffer of a link made by copying through handles (a file with local changes).</summary>
    private const int LinkCopyBufferBytes = 1 << 20;

    /// <summary>
    /// link(): an object store cannot keep one object under two keys, so the new name is made a copy of the file as
    /// it is now: same bytes, mode, owner and times, a file of its own from then on (each shows one link). Refusing
    /// instead would make <c>cp -a</c> and <c>rsync -aH</c> of a tree with hard links leave those files out. A stored
    /// file is copied inside the store (one request); one with local changes is copied through handles, so the copy
    /// has what programs see, uploaded like any new file.
    /// </summary>
    public async Task CreateLinkCopyAsync(string existing, string path, CancellationToken cancellationToken)
    {
        existing = await ResolveAsync(existing, cancellationToken).ConfigureAwait(false);
        var source = await LookupAsync(existing, cancellationToken).ConfigureAwait(false) ?? throw StoreErrors.NotFound(existing);
        if (source.IsDirectory)
        {
            throw new FileSystemException(FsError.NotSupported, existing, "a directory cannot have a second name.");
        }

        path = await PrepareNewNameAsync(path, cancellationToken).ConfigureAwait(false);
        if (source.Kind == NodeKind.Symlink)
        {
            // link() names the symbolic link itself, not what it points to.
            await CreateSymlinkAsync(path, await ReadSymlinkAsync(existing, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            return;
        }

        if (_registry.Find(existing) is not { Dirty: true } && source.ETag is { } etag &&
            await TryCopyStoredForLinkAsync(existing, path, source, etag, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        await CopyThroughHandlesAsync(existing, path, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A server-side copy of the stored version <paramref name="etag"/>, metadata and all; false when it changed meanwhile.</summary>
    private async Task<bool> TryCopyStoredForLinkAsync(string existing, string path, NodeInfo source, string etag, CancellationToken cancellationToken)
    {
        var fromKey = _keys.ToKey(existing);
        var toKey = _keys.ToKey(path);
        var copied = await StoreCallAsync(path, async () =>
        {
            try
            {
                return await _store.CopyAsync(fromKey, toKey, new CopyOptions { SourceIfMatch = etag, SourceSize = source.Size }, cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectStoreException e) when (e.Kind == ObjectStoreErrorKind.PreconditionFailed)
            {
                return null;
            }
        }).ConfigureAwait(false);
        if (copied is null)
        {
            return false;
        }

        if (_cache.GetAttributes(fromKey, etag) is { } known)
        {
            _cache.SetAttributes(toKey, copied.ETag, known);
        }

        _cache.OnChanged(path, _namespace.ToNode(FsPath.Name(path), copied));
        return true;
    }

    /// <summary>Copies what the file holds now (local changes included) into a new file, with its attributes.</summary>
    private async Task CopyThroughHandlesAsync(string existing, string path, CancellationToken cancellationToken)
    {
        await using var from = await OpenAsync(existing, OpenFlags.Read, cancellationToken).ConfigureAwait(false);
        await using var to = await OpenAsync(path, OpenFlags.Write | OpenFlags.Create | OpenFlags.Exclusive, cancellationToken).ConfigureAwait(false);
        var buffer = new byte[LinkCopyBufferBytes];
        long offset = 0;
        int read;
        while ((read = await from.ReadAsync(offset, buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            await to.WriteAsync(offset, buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            offset += read;
        }

        var attributes = from.Attributes;
        await to.SetAttributesAsync(new AttributeChanges
        {
            ModifiedTime = attributes.ModifiedTime,
            ModifiedTimeSubTickNs = attributes.ModifiedTimeSubTickNs,
            AccessTime = attributes.AccessTime,
            AccessTimeSubTickNs = attributes.AccessTimeSubTickNs,
            Mode = attributes.Mode,
            Uid = attributes.Uid,
            Gid = attributes.Gid,
        }, cancellationToken).ConfigureAwait(false);
    }
}
