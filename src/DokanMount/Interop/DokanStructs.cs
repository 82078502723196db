using System.Runtime.InteropServices;

namespace BucketMount.Dokan.Interop;

// The Dokan 2.x structs exactly as dokan2.dll lays them out on x64 (../shared/design/dokan2-abi.md, measured
// with the real headers). Tests assert every size; the stand-in library asserts them again from C.

/// <summary>DOKAN_OPTIONS: 16432 bytes. Lives in native memory for the whole mount; the library writes into it.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct DokanOptions
{
    public const int SecurityDescriptorMaxSize = 16384;

    public ushort Version;
    public byte SingleThread;
    public byte Padding;
    public uint Options;
    public ulong GlobalContext;
    public char* MountPoint;
    public char* UncName;
    public uint Timeout;
    public uint AllocationUnitSize;
    public uint SectorSize;
    public uint VolumeSecurityDescriptorLength;
    public fixed byte VolumeSecurityDescriptor[SecurityDescriptorMaxSize];
}

/// <summary>DOKAN_FILE_INFO: 48 bytes. Always used through the pointer the library passes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct DokanFileInfo
{
    public ulong Context;
    public ulong DokanContext;
    public DokanOptions* DokanOptions;
    public nint ProcessingContext;
    public uint ProcessId;
    public byte IsDirectory;
    public byte DeletePending;
    public byte PagingIo;
    public byte SynchronousIo;
    public byte Nocache;
    public byte WriteToEndOfFile;
}

/// <summary>DOKAN_OPERATIONS: 25 function pointers, 200 bytes, in this order.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct DokanOperations
{
    public nint ZwCreateFile;
    public nint Cleanup;
    public nint CloseFile;
    public nint ReadFile;
    public nint WriteFile;
    public nint FlushFileBuffers;
    public nint GetFileInformation;
    public nint FindFiles;
    public nint FindFilesWithPattern;
    public nint SetFileAttributes;
    public nint SetFileTime;
    public nint DeleteFile;
    public nint DeleteDirectory;
    public nint MoveFile;
    public nint SetEndOfFile;
    public nint SetAllocationSize;
    public nint LockFile;
    public nint UnlockFile;
    public nint GetDiskFreeSpace;
    public nint GetVolumeInformation;
    public nint Mounted;
    public nint Unmounted;
    public nint GetFileSecurity;
    public nint SetFileSecurity;
    public nint FindStreams;
}

/// <summary>FILETIME: two DWORDs, 4-byte aligned (never a long inside a struct: it would move the fields after it).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal struct FileTime
{
    public uint Low;
    public uint High;

    public long Value => (long)(((ulong)High << 32) | Low);

    public static FileTime From(long value) => new() { Low = (uint)value, High = (uint)((ulong)value >> 32) };
}

/// <summary>BY_HANDLE_FILE_INFORMATION: 52 bytes.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal struct ByHandleFileInformation
{
    public uint FileAttributes;
    public FileTime CreationTime;
    public FileTime LastAccessTime;
    public FileTime LastWriteTime;
    public uint VolumeSerialNumber;
    public uint FileSizeHigh;
    public uint FileSizeLow;
    public uint NumberOfLinks;
    public uint FileIndexHigh;
    public uint FileIndexLow;
}

/// <summary>WIN32_FIND_DATAW: 592 bytes.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal unsafe struct Win32FindData
{
    public const int MaxPath = 260;

    public uint FileAttributes;
    public FileTime CreationTime;
    public FileTime LastAccessTime;
    public FileTime LastWriteTime;
    public uint FileSizeHigh;
    public uint FileSizeLow;
    public uint Reserved0;
    public uint Reserved1;
    public fixed char FileName[MaxPath];
    public fixed char AlternateFileName[14];
}
