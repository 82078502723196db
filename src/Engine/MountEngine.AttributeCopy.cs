using BucketMount.Backends;
using BucketMount.Engine.Caching;
using BucketMount.Engine.Files;
using BucketMount.Engine.Namespace;

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
            var file = _registry.GetOrAdd(path, () => new OpenFile(_registry.NextId(), path)
            {
                Remote = new ObjectVersion(key, current.ETag, current.Size),
                Size = current.Size,
                ModifiedTime = node.ModifiedTime,
                Mode = node.Mode,
                Uid = node.Uid,
                Gid = node.Gid,
                WindowsAttributes = node.WindowsAttributes,
                CreationTime = node.CreationTime,
            });
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
}
