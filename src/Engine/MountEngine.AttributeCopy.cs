using BucketMount.Backends;
using BucketMount.Engine.Caching;
using BucketMount.Engine.Files;
using BucketMount.Engine.Namespace;
using BucketMount.Engine.Writing;

namespace BucketMount.Engine;

public sealed partial class MountEngine
{
    /// <summary>
    /// The file at <paramref name="path"/>, registered (as the clean object <paramref name="current"/> when no file
    /// is) with its content lock taken, for a change of its attributes in the store.
    /// </summary>
    private async Task<OpenFile> LockForAttributeCopyAsync(string path, string key, ObjectInfo current, NodeInfo node, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < RegistryAttempts; attempt++)
        {
            var file = _registry.GetOrAdd(path, () => OpenFile.FromStored(_registry.NextId(), path, new ObjectVersion(key, current.ETag, current.Size), node));
            if (!await TryLockUnreleasedAsync(file, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            bool deleted;
            lock (file.State)
            {
                deleted = file.Deleted;
            }

            if (!deleted)
            {
                return file;
            }

            file.ContentLock.Release();
            throw StoreErrors.NotFound(path);
        }

        throw RegistryBusy(path);
    }

    /// <summary>
    /// Copies <paramref name="current"/> onto itself with new metadata. The copy carries an upload id of its own, so
    /// that a retry whose first answer was lost, refused because the first try changed the ETag (S3 for objects
    /// uploaded in parts, Azure), is recognised as our own copy rather than failing the chmod.
    /// </summary>
    private async Task<ObjectInfo> SelfCopyAsync(string key, ObjectInfo current, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var copyId = UploadIds.New();
        try
        {
            return await _store.CopyAsync(key, key, new CopyOptions { ReplaceMetadata = UploadIds.With(metadata, copyId), SourceIfMatch = current.ETag }, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (ObjectStoreException e) when (e.Kind == ObjectStoreErrorKind.PreconditionFailed)
        {
            var now = await _store.HeadAsync(key, cancellationToken).ConfigureAwait(false);
            if (UploadIds.IsUpload(now, copyId, current.Size))
            {
                return now!;
            }

            throw;
        }
    }
}
