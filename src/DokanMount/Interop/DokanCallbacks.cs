using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using BucketMount.Dokan.Ntfs;
using BucketMount.Engine.Hosting;
using Microsoft.Extensions.Logging;

namespace BucketMount.Dokan.Interop;

/// <summary>
/// The static entry points dokan2 calls on its own threads. Each finds its mount through
/// DOKAN_OPTIONS.GlobalContext, copies DOKAN_FILE_INFO into a managed view, makes one call into the NTFS
/// translation, blocks once on it (the one allowed wait, here at the native entry, resetting the driver's
/// timeout while it waits), and copies the outputs back. Everything is caught: nothing managed unwinds into native code.
/// </summary>
internal static unsafe partial class DokanCallbacks
{
    private static readonly TimeSpan s_resetEvery = TimeSpan.FromSeconds(10);

    public static DokanOperations Table() => new()
    {
        ZwCreateFile = (nint)(delegate* unmanaged<char*, nint, uint, uint, uint, uint, uint, DokanFileInfo*, int>)&ZwCreateFile,
        Cleanup = (nint)(delegate* unmanaged<char*, DokanFileInfo*, void>)&Cleanup,
        CloseFile = (nint)(delegate* unmanaged<char*, DokanFileInfo*, void>)&CloseFile,
        ReadFile = (nint)(delegate* unmanaged<char*, byte*, uint, uint*, long, DokanFileInfo*, int>)&ReadFile,
        WriteFile = (nint)(delegate* unmanaged<char*, byte*, uint, uint*, long, DokanFileInfo*, int>)&WriteFile,
        FlushFileBuffers = (nint)(delegate* unmanaged<char*, DokanFileInfo*, int>)&FlushFileBuffers,
        GetFileInformation = (nint)(delegate* unmanaged<char*, ByHandleFileInformation*, DokanFileInfo*, int>)&GetFileInformation,
        FindFiles = (nint)(delegate* unmanaged<char*, delegate* unmanaged<Win32FindData*, DokanFileInfo*, int>, DokanFileInfo*, int>)&FindFiles,
        FindFilesWithPattern = (nint)(delegate* unmanaged<char*, char*, delegate* unmanaged<Win32FindData*, DokanFileInfo*, int>, DokanFileInfo*, int>)&FindFilesWithPattern,
        SetFileAttributes = (nint)(delegate* unmanaged<char*, uint, DokanFileInfo*, int>)&SetFileAttributes,
        SetFileTime = (nint)(delegate* unmanaged<char*, FileTime*, FileTime*, FileTime*, DokanFileInfo*, int>)&SetFileTime,
        DeleteFile = (nint)(delegate* unmanaged<char*, DokanFileInfo*, int>)&DeleteFile,
        DeleteDirectory = (nint)(delegate* unmanaged<char*, DokanFileInfo*, int>)&DeleteDirectory,
        MoveFile = (nint)(delegate* unmanaged<char*, char*, int, DokanFileInfo*, int>)&MoveFile,
        SetEndOfFile = (nint)(delegate* unmanaged<char*, long, DokanFileInfo*, int>)&SetEndOfFile,
        SetAllocationSize = (nint)(delegate* unmanaged<char*, long, DokanFileInfo*, int>)&SetAllocationSize,
        LockFile = (nint)(delegate* unmanaged<char*, long, long, DokanFileInfo*, int>)&LockFile,
        UnlockFile = (nint)(delegate* unmanaged<char*, long, long, DokanFileInfo*, int>)&UnlockFile,
        GetDiskFreeSpace = (nint)(delegate* unmanaged<ulong*, ulong*, ulong*, DokanFileInfo*, int>)&GetDiskFreeSpace,
        GetVolumeInformation = (nint)(delegate* unmanaged<char*, uint, uint*, uint*, uint*, char*, uint, DokanFileInfo*, int>)&GetVolumeInformation,
        Mounted = (nint)(delegate* unmanaged<char*, DokanFileInfo*, int>)&Mounted,
        Unmounted = (nint)(delegate* unmanaged<DokanFileInfo*, int>)&Unmounted,
        GetFileSecurity = (nint)(delegate* unmanaged<char*, uint*, nint, uint, uint*, DokanFileInfo*, int>)&GetFileSecurity,
        SetFileSecurity = (nint)(delegate* unmanaged<char*, uint*, nint, uint, DokanFileInfo*, int>)&SetFileSecurity,
    };

    [UnmanagedCallersOnly]
    private static int ZwCreateFile(char* name, nint securityContext, uint access, uint attributes, uint share, uint disposition, uint options, DokanFileInfo* fi)
    {
        try
        {
            var dispatcher = Of(fi);
            var info = new NtfsFileInfo { IsDirectory = fi->IsDirectory != 0 };
            var status = Wait(dispatcher.FileSystem.CreateFileAsync(new string(name), access, attributes, share, (CreateDisposition)disposition, options, info, CancellationToken.None), fi);
            if (info.Handle is { } handle && status is NtStatus.Success or NtStatus.ObjectNameCollision)
            {
                fi->Context = dispatcher.Add(handle);
                fi->IsDirectory = info.IsDirectory ? (byte)1 : (byte)0;
            }

            return status;
        }
        catch (Exception e)
        {
            return Fail(fi, e);
        }
    }

    [UnmanagedCallersOnly]
    private static void Cleanup(char* name, DokanFileInfo* fi)
    {
        try
        {
            Wait(Of(fi).FileSystem.CleanupAsync(View(fi), CancellationToken.None), fi);
        }
        catch (Exception e)
        {
            Fail(fi, e);
        }
    }

    [UnmanagedCallersOnly]
    private static void CloseFile(char* name, DokanFileInfo* fi)
    {
        try
        {
            var dispatcher = Of(fi);
            var info = View(fi);
            dispatcher.Remove(fi->Context);
            fi->Context = 0;
            Wait(dispatcher.FileSystem.CloseFileAsync(info, CancellationToken.None), fi);
        }
        catch (Exception e)
        {
            Fail(fi, e);
        }
    }

    [UnmanagedCallersOnly]
    private static int ReadFile(char* name, byte* buffer, uint length, uint* read, long offset, DokanFileInfo* fi)
    {
        try
        {
            *read = 0;
            using var memory = new LentBuffer(buffer, checked((int)length));
            var (status, count) = Wait(Of(fi).FileSystem.ReadFileAsync(View(fi), offset, memory.Memory, CancellationToken.None), fi);
            *read = (uint)count;
            return status;
        }
        catch (Exception e)
        {
            return Fail(fi, e);
        }
    }

    [UnmanagedCallersOnly]
    private static int WriteFile(char* name, byte* buffer, uint length, uint* written, long offset, DokanFileInfo* fi)
    {
        try
        {
            *written = 0;
            using var memory = new LentBuffer(buffer, checked((int)length));
            var (status, count) = Wait(Of(fi).FileSystem.WriteFileAsync(View(fi), offset, memory.Memory, CancellationToken.None), fi);
            *written = (uint)count;
            return status;
        }
        catch (Exception e)
        {
            return Fail(fi, e);
        }
    }

    [UnmanagedCallersOnly]
    private static int FlushFileBuffers(char* name, DokanFileInfo* fi)
    {
        try
        {
            return Wait(Of(fi).FileSystem.FlushFileBuffersAsync(View(fi), CancellationToken.None), fi);
        }
        catch (Exception e)
        {
            return Fail(fi, e);
        }
    }

    [UnmanagedCallersOnly]
    private static int GetFileInformation(char* name, ByHandleFileInformation* buffer, DokanFileInfo* fi)
    {
        try
        {
            var (status, information) = Wait(Of(fi).FileSystem.GetFileInformationAsync(View(fi), CancellationToken.None), fi);
            if (information is not null)
            {
                var volume = Of(fi).FileSystem.GetVolumeInformation();
                *buffer = new ByHandleFileInformation
                {
                    FileAttributes = information.Attributes,
                    CreationTime = FileTime.From(information.CreationTime),
                    LastAccessTime = FileTime.From(information.LastAccessTime),
                    LastWriteTime = FileTime.From(information.LastWriteTime),
                    VolumeSerialNumber = volume.SerialNumber,
                    FileSizeHigh = (uint)((ulong)information.Size >> 32),
                    FileSizeLow = (uint)information.Size,
                    NumberOfLinks = 1,
                    FileIndexHigh = (uint)(information.FileIndex >> 32),
                    FileIndexLow = (uint)information.FileIndex,
                };
            }

            return status;
        }
        catch (Exception e)
        {
            return Fail(fi, e);
        }
    }

    [UnmanagedCallersOnly]
    private static int FindFiles(char* path, delegate* unmanaged<Win32FindData*, DokanFileInfo*, int> fill, DokanFileInfo* fi) =>
        Find(path, null, fill, fi);

    [UnmanagedCallersOnly]
    private static int FindFilesWithPattern(char* path, char* pattern, delegate* unmanaged<Win32FindData*, DokanFileInfo*, int> fill, DokanFileInfo* fi) =>
        Find(path, pattern, fill, fi);

    [UnmanagedCallersOnly]
    private static int SetFileAttributes(char* name, uint attributes, DokanFileInfo* fi)
    {
        try
        {
            return Wait(Of(fi).FileSystem.SetFileAttributesAsync(View(fi), attributes, CancellationToken.None), fi);
        }
        catch (Exception e)
        {
            return Fail(fi, e);
        }
    }

    [UnmanagedCallersOnly]
    private static int SetFileTime(char* name, FileTime* creation, FileTime* lastAccess, FileTime* lastWrite, DokanFileInfo* fi)
    {
        try
        {
            return Wait(Of(fi).FileSystem.SetFileTimeAsync(View(fi), Read(creation), Read(lastAccess), Read(lastWrite), CancellationToken.None), fi);
        }
        catch (Exception e)
        {
            return Fail(fi, e);
        }

        static long? Read(FileTime* time) => time is null ? null : time->Value;
    }

    [UnmanagedCallersOnly]
    private static int DeleteFile(char* name, DokanFileInfo* fi)
    {
        try
        {
            return Wait(Of(fi).FileSystem.DeleteFileAsync(View(fi), CancellationToken.None), fi);
        }
        catch (Exception e)
        {
            return Fail(fi, e);
        }
    }

    [UnmanagedCallersOnly]
    private static int DeleteDirectory(char* name, DokanFileInfo* fi)
    {
        try
        {
            return Wait(Of(fi).FileSystem.DeleteDirectoryAsync(View(fi), CancellationToken.None), fi);
        }
        catch (Exception e)
        {
            return Fail(fi, e);
        }
    }

    [UnmanagedCallersOnly]
    private static int MoveFile(char* name, char* newName, int replaceIfExisting, DokanFileInfo* fi)
    {
        try
        {
            return Wait(Of(fi).FileSystem.MoveFileAsync(View(fi), new string(newName), replaceIfExisting != 0, CancellationToken.None), fi);
        }
        catch (Exception e)
        {
            return Fail(fi, e);
        }
    }

    [UnmanagedCallersOnly]
    private static int SetEndOfFile(char* name, long length, DokanFileInfo* fi)
    {
        try
        {
            return Wait(Of(fi).FileSystem.SetEndOfFileAsync(View(fi), length, CancellationToken.None), fi);
        }
        catch (Exception e)
        {
            return Fail(fi, e);
        }
    }

    [UnmanagedCallersOnly]
    private static int SetAllocationSize(char* name, long length, DokanFileInfo* fi)
    {
        try
        {
            return Wait(Of(fi).FileSystem.SetAllocationSizeAsync(View(fi), length, CancellationToken.None), fi);
        }
        catch (Exception e)
        {
            return Fail(fi, e);
        }
    }

    [UnmanagedCallersOnly]
    private static int LockFile(char* name, long offset, long length, DokanFileInfo* fi)
    {
        try
        {
            return Of(fi).FileSystem.LockFile(View(fi), offset, length);
        }
        catch (Exception e)
        {
            return Fail(fi, e);
        }
    }

    [UnmanagedCallersOnly]
    private static int UnlockFile(char* name, long offset, long length, DokanFileInfo* fi)
    {
        try
        {
            return Of(fi).FileSystem.UnlockFile(View(fi), offset, length);
        }
        catch (Exception e)
        {
            return Fail(fi, e);
        }
    }

    [UnmanagedCallersOnly]
    private static int GetDiskFreeSpace(ulong* freeBytesAvailable, ulong* totalBytes, ulong* totalFreeBytes, DokanFileInfo* fi)
    {
        try
        {
            var (available, total, free) = Of(fi).FileSystem.GetDiskFreeSpace();
            if (freeBytesAvailable is not null)
            {
                *freeBytesAvailable = available;
            }

            if (totalBytes is not null)
            {
                *totalBytes = total;
            }

            if (totalFreeBytes is not null)
            {
                *totalFreeBytes = free;
            }

            return NtStatus.Success;
        }
        catch (Exception e)
        {
            return Fail(fi, e);
        }
    }

    [UnmanagedCallersOnly]
    private static int GetVolumeInformation(char* volumeName, uint volumeNameSize, uint* serial, uint* maxComponentLength, uint* fileSystemFlags, char* fileSystemName, uint fileSystemNameSize, DokanFileInfo* fi)
    {
        try
        {
            var volume = Of(fi).FileSystem.GetVolumeInformation();
            CopyString(volume.Label, volumeName, volumeNameSize);
            CopyString(volume.FileSystemName, fileSystemName, fileSystemNameSize);
            *serial = volume.SerialNumber;
            *maxComponentLength = volume.MaxComponentLength;
            *fileSystemFlags = volume.FileSystemFlags;
            return NtStatus.Success;
        }
        catch (Exception e)
        {
            return Fail(fi, e);
        }
    }

    [UnmanagedCallersOnly]
    private static int Mounted(char* mountPoint, DokanFileInfo* fi)
    {
        try
        {
            Of(fi).OnMounted(new string(mountPoint));
            return NtStatus.Success;
        }
        catch (Exception e)
        {
            return Fail(fi, e);
        }
    }

    [UnmanagedCallersOnly]
    private static int Unmounted(DokanFileInfo* fi) => NtStatus.Success;

    /// <summary>No ACLs are kept: the library then builds its default security descriptor.</summary>
    [UnmanagedCallersOnly]
    private static int GetFileSecurity(char* name, uint* requested, nint descriptor, uint length, uint* needed, DokanFileInfo* fi) => NtStatus.NotImplemented;

    /// <summary>Accepted and not kept (Explorer copies ACLs along with files; refusing would fail the copy).</summary>
    [UnmanagedCallersOnly]
    private static int SetFileSecurity(char* name, uint* information, nint descriptor, uint length, DokanFileInfo* fi) => NtStatus.Success;

    private static int Find(char* path, char* pattern, delegate* unmanaged<Win32FindData*, DokanFileInfo*, int> fill, DokanFileInfo* fi)
    {
        try
        {
            var expression = pattern is null ? null : new string(pattern);
            var (status, entries) = Wait(Of(fi).FileSystem.FindFilesAsync(new string(path), expression, CancellationToken.None), fi);
            foreach (var entry in entries)
            {
                var data = new Win32FindData
                {
                    FileAttributes = entry.Attributes,
                    CreationTime = FileTime.From(entry.CreationTime),
                    LastAccessTime = FileTime.From(entry.LastAccessTime),
                    LastWriteTime = FileTime.From(entry.LastWriteTime),
                    FileSizeHigh = (uint)((ulong)entry.Size >> 32),
                    FileSizeLow = (uint)entry.Size,
                };
                CopyString(entry.Name, data.FileName, Win32FindData.MaxPath);
                fill(&data, fi);
            }

            return status;
        }
        catch (Exception e)
        {
            return Fail(fi, e);
        }
    }

    private static DokanDispatcher Of(DokanFileInfo* fi) =>
        (DokanDispatcher)GCHandle.FromIntPtr((nint)fi->DokanOptions->GlobalContext).Target!;

    private static NtfsFileInfo View(DokanFileInfo* fi) => new()
    {
        Handle = Of(fi).Find(fi->Context),
        IsDirectory = fi->IsDirectory != 0,
        DeletePending = fi->DeletePending != 0,
        PagingIo = fi->PagingIo != 0,
        WriteToEndOfFile = fi->WriteToEndOfFile != 0,
    };

    /// <summary>The one blocking wait, at the native entry. Long calls keep resetting the driver's timeout so it does not unmount.</summary>
    private static T Wait<T>(Task<T> task, DokanFileInfo* fi)
    {
        while (!((IAsyncResult)task).AsyncWaitHandle.WaitOne(s_resetEvery))
        {
            DokanNative.DokanResetTimeout(60_000, fi);
        }

        return task.GetAwaiter().GetResult();
    }

    private static void Wait(Task task, DokanFileInfo* fi)
    {
        while (!((IAsyncResult)task).AsyncWaitHandle.WaitOne(s_resetEvery))
        {
            DokanNative.DokanResetTimeout(60_000, fi);
        }

        task.GetAwaiter().GetResult();
    }

    private static void CopyString(string value, char* destination, uint capacity)
    {
        if (destination is null || capacity == 0)
        {
            return;
        }

        var length = (int)Math.Min((uint)value.Length, capacity - 1);
        value.AsSpan(0, length).CopyTo(new Span<char>(destination, length));
        destination[length] = '\0';
    }

    private static int Fail(DokanFileInfo* fi, Exception error, [CallerMemberName] string operation = "")
    {
        try
        {
            LogUnexpected(Of(fi).Logger, operation, error);
        }
        catch
        {
            // Even logging must not unwind into dokan2.
        }

        return NtStatus.InternalError;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Dokan {Operation} failed unexpectedly")]
    private static partial void LogUnexpected(ILogger logger, string operation, Exception error);
}
