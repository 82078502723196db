using BucketMount.Engine;
using static BucketMount.Dokan.Ntfs.NtfsConstants;

namespace BucketMount.Dokan.Ntfs;

/// <summary>Reads, writes, sizes, flushes and byte-range locks through a handle.</summary>
internal sealed partial class NtfsFileSystem
{
    /// <summary>ReadFile: at or past the end returns success with 0 bytes (the library turns it into END_OF_FILE).</summary>
    public async Task<(int Status, int Read)> ReadFileAsync(NtfsFileInfo info, long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (info.Handle is not { IsDirectory: false } handle)
        {
            return (info.Handle is null ? NtStatus.InvalidHandle : NtStatus.FileIsADirectory, 0);
        }

        if (_objects.IsLockedByOthers(handle, offset, buffer.Length))
        {
            return (NtStatus.FileLockConflict, 0);
        }

        var read = 0;
        var status = await GuardAsync(handle.Path, async () =>
        {
            if (handle.File is { CanRead: true } file)
            {
                read = await file.ReadAsync(offset, buffer, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                // Paging reads can come on a handle opened without read access (e.g. after a memory-mapped write).
                await using var temporary = await engine.OpenAsync(handle.Path, OpenFlags.Read, cancellationToken).ConfigureAwait(false);
                read = await temporary.ReadAsync(offset, buffer, cancellationToken).ConfigureAwait(false);
            }

            return NtStatus.Success;
        }).ConfigureAwait(false);
        return (status, read);
    }

    /// <summary>
    /// WriteFile: offset -1 or WriteToEndOfFile appends; paging I/O never extends the file (it is clipped at the
    /// end, as the cache manager expects).
    /// </summary>
    public async Task<(int Status, int Written)> WriteFileAsync(NtfsFileInfo info, long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (info.Handle is not { IsDirectory: false } handle)
        {
            return (info.Handle is null ? NtStatus.InvalidHandle : NtStatus.FileIsADirectory, 0);
        }

        if (handle.File is not { CanWrite: true } && !info.PagingIo)
        {
            return (NtStatus.AccessDenied, 0);
        }

        var written = 0;
        await handle.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var status = await GuardAsync(handle.Path, async () =>
            {
                if (info.WriteToEndOfFile || offset < 0 || info.PagingIo)
                {
                    var size = (await engine.GetAttributesAsync(handle.Path, cancellationToken).ConfigureAwait(false)).Size;
                    if (info.PagingIo && !info.WriteToEndOfFile && offset >= 0)
                    {
                        data = offset >= size ? ReadOnlyMemory<byte>.Empty : data[..(int)Math.Min(data.Length, size - offset)];
                    }
                    else
                    {
                        offset = size;
                    }
                }

                if (_objects.IsLockedByOthers(handle, offset, Math.Max(1, data.Length)))
                {
                    return NtStatus.FileLockConflict;
                }

                if (data.Length > 0)
                {
                    await WriteThroughAsync(handle, offset, data, cancellationToken).ConfigureAwait(false);
                }

                written = data.Length;
                handle.WroteAfterFixedTime |= handle.FixedWriteTime is not null;
                return NtStatus.Success;
            }).ConfigureAwait(false);
            return (status, written);
        }
        finally
        {
            handle.Gate.Release();
        }
    }

    /// <summary>FlushFileBuffers: makes the data durable in the local journal; the upload follows by write-back.</summary>
    /// <remarks>
    /// Not an upload: Office and Explorer call it on every save, and Office then renames its temporary file over
    /// the document. Uploading here would upload twice (and copy once); durability against a crash is the journal's.
    /// </remarks>
    public async Task<int> FlushFileBuffersAsync(NtfsFileInfo info, CancellationToken cancellationToken)
    {
        if (info.Handle?.File is not { CanWrite: true } file)
        {
            return info.Handle is null ? NtStatus.InvalidHandle : NtStatus.Success;
        }

        return await GuardAsync(file.Path, async () =>
        {
            await file.FlushAsync(cancellationToken).ConfigureAwait(false);
            return NtStatus.Success;
        }).ConfigureAwait(false);
    }

    /// <summary>SetEndOfFile: the logical size (truncate or zero-extend).</summary>
    public Task<int> SetEndOfFileAsync(NtfsFileInfo info, long length, CancellationToken cancellationToken) =>
        ResizeAsync(info, length, onlyShrink: false, cancellationToken);

    /// <summary>SetAllocationSize: a reservation; below the end it truncates, above it succeeds without change.</summary>
    public Task<int> SetAllocationSizeAsync(NtfsFileInfo info, long allocation, CancellationToken cancellationToken) =>
        ResizeAsync(info, allocation, onlyShrink: true, cancellationToken);

    public int LockFile(NtfsFileInfo info, long offset, long length) =>
        info.Handle is { } handle ? _objects.Lock(handle, offset, length) : NtStatus.InvalidHandle;

    public int UnlockFile(NtfsFileInfo info, long offset, long length) =>
        info.Handle is { } handle ? _objects.Unlock(handle, offset, length) : NtStatus.InvalidHandle;

    private async Task<int> ResizeAsync(NtfsFileInfo info, long length, bool onlyShrink, CancellationToken cancellationToken)
    {
        if (info.Handle is not { } handle)
        {
            return NtStatus.InvalidHandle;
        }

        if (handle.IsDirectory || length < 0)
        {
            return NtStatus.InvalidParameter;
        }

        await handle.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await GuardAsync(handle.Path, async () =>
            {
                var size = (await engine.GetAttributesAsync(handle.Path, cancellationToken).ConfigureAwait(false)).Size;
                if (size == length || onlyShrink && length > size)
                {
                    return NtStatus.Success;
                }

                if (handle.File is { CanWrite: true } file)
                {
                    await file.TruncateAsync(length, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await engine.SetAttributesAsync(handle.Path, new AttributeChanges { Size = length }, cancellationToken).ConfigureAwait(false);
                }

                return NtStatus.Success;
            }).ConfigureAwait(false);
        }
        finally
        {
            handle.Gate.Release();
        }
    }

    private async Task WriteThroughAsync(NtfsHandle handle, long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (handle.File is { CanWrite: true } file)
        {
            await file.WriteAsync(offset, data, cancellationToken).ConfigureAwait(false);
            return;
        }

        // Paging writes after the program's handle lost write access (memory-mapped files).
        await using var temporary = await engine.OpenAsync(handle.Path, OpenFlags.Write, cancellationToken).ConfigureAwait(false);
        await temporary.WriteAsync(offset, data, cancellationToken).ConfigureAwait(false);
    }
}
