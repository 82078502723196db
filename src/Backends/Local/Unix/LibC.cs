using System.Runtime.InteropServices;

namespace BucketMount.Backends.Local.Unix;

/// <summary>
/// The libc calls that let the local store resolve paths one component at a time from a directory it holds
/// open, never following a symbolic link (openat with O_NOFOLLOW, mkdirat, renameat, unlinkat, statx).
/// Linux only: the flag values below are Linux's (x64 and arm64 differ in two of them).
/// </summary>
internal static unsafe partial class LibC
{
    private const string Library = "libc";

    public const int ReadOnly = 0;
    public const int WriteOnly = 1;
    public const int Create = 0x40;
    public const int Exclusive = 0x80;
    public const int CloseOnExec = 0x80000;
    public static readonly int Directory = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x4000 : 0x10000;
    public static readonly int NoFollow = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x8000 : 0x20000;

    public const int AtSymlinkNoFollow = 0x100;
    public const int AtRemoveDir = 0x200;
    public const int AtEmptyPath = 0x1000;
    public const uint StatxBasicStats = 0x7ff;

    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int EACCES = 13;
    public const int EEXIST = 17;
    public const int ENOTDIR = 20;
    public const int EISDIR = 21;
    public const int EFBIG = 27;
    public const int ENOSPC = 28;
    public const int ENOTEMPTY = 39;
    public const int ELOOP = 40;
    public const int EPERM = 1;

    public const ushort FileTypeMask = 0xF000;
    public const ushort TypeDirectory = 0x4000;
    public const ushort TypeRegular = 0x8000;
    public const ushort TypeLink = 0xA000;

    [LibraryImport(Library, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags, uint mode);

    [LibraryImport(Library, EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int OpenAt(int directory, string name, int flags, uint mode);

    [LibraryImport(Library, EntryPoint = "mkdirat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MkdirAt(int directory, string name, uint mode);

    [LibraryImport(Library, EntryPoint = "unlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int UnlinkAt(int directory, string name, int flags);

    [LibraryImport(Library, EntryPoint = "renameat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int RenameAt(int fromDirectory, string fromName, int toDirectory, string toName);

    [LibraryImport(Library, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Statx(int directory, string name, int flags, uint mask, StatxBuffer* buffer);

    /// <summary>Returns the error number itself (0 on success), not -1 and errno.</summary>
    [LibraryImport(Library, EntryPoint = "posix_fallocate")]
    public static partial int PosixFallocate(int descriptor, long offset, long length);

    [LibraryImport(Library, EntryPoint = "fchmod", SetLastError = true)]
    public static partial int Fchmod(int descriptor, uint mode);

    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int descriptor);

    [LibraryImport(Library, EntryPoint = "dup", SetLastError = true)]
    public static partial int Dup(int descriptor);

    [LibraryImport(Library, EntryPoint = "fdopendir", SetLastError = true)]
    public static partial nint FdOpenDir(int descriptor);

    [LibraryImport(Library, EntryPoint = "readdir64", SetLastError = true)]
    public static partial nint ReadDir(nint directory);

    [LibraryImport(Library, EntryPoint = "closedir", SetLastError = true)]
    public static partial int CloseDir(nint directory);

    /// <summary>struct statx: the same layout on every Linux architecture, unlike struct stat.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    public struct StatxBuffer
    {
        [FieldOffset(0)] public uint Mask;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(112)] public long ModifiedSeconds;
        [FieldOffset(120)] public uint ModifiedNanoseconds;
    }

    /// <summary>struct dirent64's fixed head (d_ino, d_off, d_reclen, d_type); the name follows at offset 19.</summary>
    public const int DirentTypeOffset = 18;
    public const int DirentNameOffset = 19;
    public const byte DirentUnknown = 0;
    public const byte DirentDirectory = 4;
    public const byte DirentRegular = 8;
    public const byte DirentLink = 10;
}
