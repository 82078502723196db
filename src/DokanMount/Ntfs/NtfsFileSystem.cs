using BucketMount.Engine;
using Microsoft.Extensions.Logging;
using static BucketMount.Dokan.Ntfs.NtfsConstants;

namespace BucketMount.Dokan.Ntfs;

/// <summary>
/// NTFS semantics over the engine, in plain managed code: ZwCreateFile's dispositions and statuses, share modes,
/// delete-pending, rename rules, attributes, times, wildcards and byte-range locks. Every method returns an
/// NTSTATUS and never throws for a file system condition. The Dokan callbacks are a thin layer over this; the
/// managed tests replay Windows call sequences against it directly.
/// </summary>
internal sealed partial class NtfsFileSystem(MountEngine engine, NtfsVolumeOptions volume, ILogger logger)
{
    private const int DefaultFileMode = 0x8000 | 0x1A4; // S_IFREG | 0644, for files that carry no mode yet
    private const int WriteBits = 0x92; // 0222

    private readonly OpenObjects _objects = new(engine.Options.CaseInsensitive);

    public MountEngine Engine => engine;

    /// <summary>ZwCreateFile: the decision table of dokan2-abi.md §8, in its order.</summary>
    public async Task<int> CreateFileAsync(string name, uint access, uint attributes, uint share, CreateDisposition disposition, uint options, NtfsFileInfo info, CancellationToken cancellationToken)
    {
        var wantsDirectory = (options & DirectoryFile) != 0 || info.IsDirectory;
        var wantsFile = (options & NonDirectoryFile) != 0;
        if (wantsDirectory && wantsFile || disposition > CreateDisposition.OverwriteIf)
        {
            return NtStatus.InvalidParameter;
        }

        return await GuardAsync(name, async () =>
        {
            var path = ToEnginePath(name);
            var node = await engine.TryGetAttributesAsync(path, cancellationToken).ConfigureAwait(false);
            if (node is null)
            {
                return await CreateNewAsync(path, access, attributes, share, disposition, options, wantsDirectory, info, cancellationToken).ConfigureAwait(false);
            }

            return await OpenExistingAsync(path, node, access, attributes, share, disposition, options, wantsDirectory, wantsFile, info, cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// The application closed its handle. Cannot fail. Deletes only when the driver says so (DeletePending, set on
    /// the last handle of an object marked for deletion, by DeleteFile or FILE_DELETE_ON_CLOSE): the driver can
    /// still refuse a delete this host agreed to, as dokany's mirror and DokanNet assume too.
    /// </summary>
    public async Task CleanupAsync(NtfsFileInfo info, CancellationToken cancellationToken)
    {
        if (info.Handle is not { CleanedUp: false } handle)
        {
            return;
        }

        handle.CleanedUp = true;
        var othersOpen = _objects.Remove(handle);
        try
        {
            if (info.DeletePending)
            {
                if (handle.IsDirectory)
                {
                    await engine.RemoveDirectoryAsync(handle.Path, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    // The last handle is closing (its paging I/O reads nothing more): keep no copy for it, unless
                    // this host still counts other handles.
                    await engine.DeleteFileAsync(handle.Path, keepForOpenHandles: othersOpen > 0, cancellationToken).ConfigureAwait(false);
                }
            }
            else if (handle.File is { CanWrite: true } file)
            {
                // Durable in the local journal now: a crash after CloseHandle returns still uploads the bytes.
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (FileSystemException e)
        {
            LogCleanupFailed(logger, handle.Path, e.Message);
        }
    }

    /// <summary>The last call for a handle (after paging I/O): re-applies a time the program set, releases the engine handle.</summary>
    public async Task CloseFileAsync(NtfsFileInfo info, CancellationToken cancellationToken)
    {
        if (info.Handle is not { } handle)
        {
            return;
        }

        info.Handle = null;
        if (!handle.CleanedUp)
        {
            handle.CleanedUp = true;
            _objects.Remove(handle);
        }

        try
        {
            if (handle is { FixedWriteTime: { } time, WroteAfterFixedTime: true })
            {
                await engine.SetAttributesAsync(handle.Path, new AttributeChanges { ModifiedTime = time }, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (FileSystemException e)
        {
            LogCleanupFailed(logger, handle.Path, e.Message);
        }
        finally
        {
            if (handle.File is { } file)
            {
                handle.File = null;
                await file.ReleaseAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<int> CreateNewAsync(string path, uint access, uint attributes, uint share, CreateDisposition disposition, uint options, bool wantsDirectory, NtfsFileInfo info, CancellationToken cancellationToken)
    {
        if (await engine.TryGetAttributesAsync(Parent(path), cancellationToken).ConfigureAwait(false) is not { IsDirectory: true })
        {
            return NtStatus.ObjectPathNotFound;
        }

        if (disposition is CreateDisposition.Open or CreateDisposition.Overwrite)
        {
            return NtStatus.ObjectNameNotFound;
        }

        var handle = new NtfsHandle(path, wantsDirectory, access, share, (options & DeleteOnClose) != 0);
        if (wantsDirectory)
        {
            await engine.CreateDirectoryAsync(path, cancellationToken).ConfigureAwait(false);
            return Register(handle, info, NtStatus.Success);
        }

        var status = _objects.TryAdd(handle);
        if (status != NtStatus.Success)
        {
            return status;
        }

        try
        {
            handle.File = await engine.OpenAsync(path, OpenFlags.Create | OpenFlags.Exclusive | OpenFlags.Write | (WantsRead(access) ? OpenFlags.Read : 0), cancellationToken).ConfigureAwait(false);
            var kept = NewFileAttributes(attributes);
            if (kept != AttributeArchive)
            {
                await engine.SetAttributesAsync(path, AttributesChange(kept, null), cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            await AbandonAsync(handle).ConfigureAwait(false);
            throw;
        }

        info.Handle = handle;
        info.IsDirectory = false;
        return NtStatus.Success;
    }

    private async Task<int> OpenExistingAsync(string path, NodeInfo node, uint access, uint attributes, uint share, CreateDisposition disposition, uint options, bool wantsDirectory, bool wantsFile, NtfsFileInfo info, CancellationToken cancellationToken)
    {
        if (node.IsDirectory && wantsFile)
        {
            return NtStatus.FileIsADirectory;
        }

        if (!node.IsDirectory && wantsDirectory)
        {
            return NtStatus.NotADirectory;
        }

        if (disposition == CreateDisposition.Create)
        {
            return NtStatus.ObjectNameCollision;
        }

        var truncates = disposition is CreateDisposition.Supersede or CreateDisposition.Overwrite or CreateDisposition.OverwriteIf;
        if (node.IsDirectory && truncates)
        {
            return NtStatus.AccessDenied;
        }

        var readOnly = IsReadOnly(node);
        var deleteOnClose = (options & DeleteOnClose) != 0;
        if (!node.IsDirectory && readOnly && (WantsWrite(access) || disposition is CreateDisposition.Overwrite or CreateDisposition.OverwriteIf))
        {
            return NtStatus.AccessDenied;
        }

        // NTFS (and so dokany's mirror) refuses to overwrite a hidden or system file unless the overwrite keeps
        // those attributes: a program that re-creates "desktop.ini" without them must not strip them silently.
        if (!node.IsDirectory && truncates && (AttributesOf(node) & (AttributeHidden | AttributeSystem) & ~attributes) != 0)
        {
            return NtStatus.AccessDenied;
        }

        if (deleteOnClose && readOnly)
        {
            return NtStatus.CannotDelete;
        }

        if (deleteOnClose && node.IsDirectory && (await engine.ListDirectoryAsync(path, cancellationToken).ConfigureAwait(false)).Count > 0)
        {
            return NtStatus.DirectoryNotEmpty;
        }

        var resolved = Resolved(path, node);
        var handle = new NtfsHandle(resolved, node.IsDirectory, access, share, deleteOnClose);
        var status = _objects.TryAdd(handle);
        if (status != NtStatus.Success)
        {
            return status;
        }

        try
        {
            if (!node.IsDirectory && (WantsRead(access) || WantsWrite(access) || truncates))
            {
                var flags = (WantsRead(access) ? OpenFlags.Read : 0) | (WantsWrite(access) || truncates ? OpenFlags.Write : 0) | (truncates ? OpenFlags.Truncate : 0);
                handle.File = await engine.OpenAsync(resolved, flags, cancellationToken).ConfigureAwait(false);
            }

            if (truncates)
            {
                // Overwrite and supersede replace the attributes too (plus ARCHIVE), as NTFS does.
                await engine.SetAttributesAsync(resolved, AttributesChange(NewFileAttributes(attributes), node), cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            await AbandonAsync(handle).ConfigureAwait(false);
            throw;
        }

        info.Handle = handle;
        info.IsDirectory = node.IsDirectory;

        // "Opened, and it already existed": the library reports FILE_OPENED / FILE_OVERWRITTEN / FILE_SUPERSEDED.
        return disposition is CreateDisposition.OpenIf or CreateDisposition.OverwriteIf or CreateDisposition.Supersede
            ? NtStatus.ObjectNameCollision
            : NtStatus.Success;
    }

    private int Register(NtfsHandle handle, NtfsFileInfo info, int success)
    {
        var status = _objects.TryAdd(handle);
        if (status != NtStatus.Success)
        {
            return status;
        }

        info.Handle = handle;
        info.IsDirectory = handle.IsDirectory;
        return success;
    }

    /// <summary>A failed ZwCreateFile gets no Cleanup or CloseFile: undo what it registered and opened.</summary>
    private async Task AbandonAsync(NtfsHandle handle)
    {
        _objects.Remove(handle);
        if (handle.File is { } file)
        {
            handle.File = null;
            await file.ReleaseAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>The path as the store spells it, so share checks and renames on a case-insensitive mount meet.</summary>
    private static string Resolved(string path, NodeInfo node) =>
        path == "/" ? path : Parent(path) is "/" ? "/" + node.Name : Parent(path) + "/" + node.Name;

    /// <summary>Runs one operation, turning engine errors into their NTSTATUS.</summary>
    private async Task<int> GuardAsync(string name, Func<Task<int>> operation)
    {
        try
        {
            return await operation().ConfigureAwait(false);
        }
        catch (FileSystemException e)
        {
            LogRefused(logger, name, e.Error, e.Message);
            return NtStatus.From(e.Error);
        }
    }

    /// <summary>"\dir\file.txt" (Dokan's volume-relative names) to the engine's "/dir/file.txt".</summary>
    internal static string ToEnginePath(string name)
    {
        var path = name.Replace('\\', '/');
        if (!path.StartsWith('/'))
        {
            path = "/" + path;
        }

        return path.Length > 1 ? path.TrimEnd('/') : path;
    }

    private static string Parent(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash <= 0 ? "/" : path[..slash];
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Dokan: {Name}: {Error} ({Message})")]
    private static partial void LogRefused(ILogger logger, string name, FsError error, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dokan: closing '{Path}' failed: {Message}")]
    private static partial void LogCleanupFailed(ILogger logger, string path, string message);
}
