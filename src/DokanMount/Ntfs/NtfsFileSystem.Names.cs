using BucketMount.Engine;

namespace BucketMount.Dokan.Ntfs;

/// <summary>Deleting (a check here, the deletion in Cleanup) and renaming through a handle.</summary>
internal sealed partial class NtfsFileSystem
{
    /// <summary>DeleteFile: may this file be deleted? Only a check: the driver marks it and says at the last Cleanup.</summary>
    public async Task<int> DeleteFileAsync(NtfsFileInfo info, CancellationToken cancellationToken)
    {
        if (info.Handle is not { } handle)
        {
            return NtStatus.InvalidHandle;
        }

        if (handle.IsDirectory)
        {
            return NtStatus.AccessDenied;
        }

        return await GuardAsync(handle.Path, async () =>
        {
            return info.DeletePending && IsReadOnly(await engine.GetAttributesAsync(handle.Path, cancellationToken).ConfigureAwait(false))
                ? NtStatus.CannotDelete
                : NtStatus.Success;
        }).ConfigureAwait(false);
    }

    /// <summary>DeleteDirectory: refuses a directory that still has entries (STATUS_DIRECTORY_NOT_EMPTY); the driver marks it.</summary>
    public async Task<int> DeleteDirectoryAsync(NtfsFileInfo info, CancellationToken cancellationToken)
    {
        if (info.Handle is not { } handle)
        {
            return NtStatus.InvalidHandle;
        }

        if (!handle.IsDirectory)
        {
            return NtStatus.NotADirectory;
        }

        if (handle.Path == "/")
        {
            return NtStatus.AccessDenied;
        }

        return await GuardAsync(handle.Path, async () =>
        {
            return info.DeletePending && (await engine.ListDirectoryAsync(handle.Path, cancellationToken).ConfigureAwait(false)).Count > 0
                ? NtStatus.DirectoryNotEmpty
                : NtStatus.Success;
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// MoveFile on an open handle: an existing target needs <paramref name="replace"/> and must be a file that is
    /// neither read-only nor open elsewhere; a case-only rename of the same file is always allowed.
    /// </summary>
    public async Task<int> MoveFileAsync(NtfsFileInfo info, string newName, bool replace, CancellationToken cancellationToken)
    {
        if (info.Handle is not { } handle)
        {
            return NtStatus.InvalidHandle;
        }

        var to = ToEnginePath(newName);
        return await GuardAsync(newName, async () =>
        {
            var sameObject = engine.Options.CaseInsensitive && string.Equals(to, handle.Path, StringComparison.OrdinalIgnoreCase);
            if (!sameObject && await engine.TryGetAttributesAsync(to, cancellationToken).ConfigureAwait(false) is { } target)
            {
                if (!replace)
                {
                    return NtStatus.ObjectNameCollision;
                }

                if (target.IsDirectory || IsReadOnly(target) || _objects.IsOpenByOthers(Resolved(to, target), handle))
                {
                    return NtStatus.AccessDenied;
                }
            }

            if (await engine.TryGetAttributesAsync(Parent(to), cancellationToken).ConfigureAwait(false) is not { IsDirectory: true })
            {
                return NtStatus.ObjectPathNotFound;
            }

            await engine.RenameAsync(handle.Path, to, noReplace: !replace, cancellationToken).ConfigureAwait(false);
            _objects.Rename(handle, to);
            return NtStatus.Success;
        }).ConfigureAwait(false);
    }
}
