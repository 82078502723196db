using System.Runtime.InteropServices;

namespace BucketMount.Fuse.Interop;

// Layouts from shared/design/fuse3-abi.md (libfuse 3.14, x86_64 glibc); sizes are asserted by tests.

/// <summary>struct fuse_operations: 42 function pointers, 336 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct FuseOperations
{
    public nint GetAttr;
    public nint ReadLink;
    public nint MkNod;
    public nint MkDir;
    public nint Unlink;
    public nint RmDir;
    public nint Symlink;
    public nint Rename;
    public nint Link;
    public nint Chmod;
    public nint Chown;
    public nint Truncate;
    public nint Open;
    public nint Read;
    public nint Write;
    public nint StatFs;
    public nint Flush;
    public nint Release;
    public nint Fsync;
    public nint SetXattr;
    public nint GetXattr;
    public nint ListXattr;
    public nint RemoveXattr;
    public nint OpenDir;
    public nint ReadDir;
    public nint ReleaseDir;
    public nint FsyncDir;
    public nint Init;
    public nint Destroy;
    public nint Access;
    public nint Create;
    public nint Lock;
    public nint Utimens;
    public nint Bmap;
    public nint Ioctl;
    public nint Poll;
    public nint WriteBuf;
    public nint ReadBuf;
    public nint Flock;
    public nint Fallocate;
    public nint CopyFileRange;
    public nint Lseek;
}

/// <summary>struct fuse_file_info: 40 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FuseFileInfo
{
    public int Flags;
    public uint Bits;
    public uint Padding2;
    public ulong Fh;
    public ulong LockOwner;
    public uint PollEvents;

    public const uint DirectIo = 0x2;
    public const uint KeepCache = 0x4;
}

[StructLayout(LayoutKind.Sequential)]
internal struct Timespec
{
    public long Seconds;
    public long Nanoseconds;

    public const long UtimeNow = 0x3FFFFFFF;
    public const long UtimeOmit = 0x3FFFFFFE;
}

/// <summary>struct stat on x86_64: 144 bytes; nlink comes before mode.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct Stat
{
    public ulong Dev;
    public ulong Ino;
    public ulong NLink;
    public uint Mode;
    public uint Uid;
    public uint Gid;
    public int Pad0;
    public ulong RDev;
    public long Size;
    public long BlkSize;
    public long Blocks;
    public Timespec ATime;
    public Timespec MTime;
    public Timespec CTime;
    public fixed long Reserved[3];
}

/// <summary>struct statvfs: 112 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct StatVfs
{
    public ulong BSize;
    public ulong FrSize;
    public ulong Blocks;
    public ulong BFree;
    public ulong BAvail;
    public ulong Files;
    public ulong FFree;
    public ulong FAvail;
    public ulong FsId;
    public ulong Flag;
    public ulong NameMax;
    public fixed int Spare[6];
}

/// <summary>struct fuse_args: 24 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct FuseArgs
{
    public int Argc;
    public byte** Argv;
    public int Allocated;
}

/// <summary>struct fuse_config: 128 bytes; the fields init adjusts.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FuseConfig
{
    public int SetGid;
    public uint Gid;
    public int SetUid;
    public uint Uid;
    public int SetMode;
    public uint Umask;
    public double EntryTimeout;
    public double NegativeTimeout;
    public double AttrTimeout;
    public int Intr;
    public int IntrSignal;
    public int Remember;
    public int HardRemove;
    public int UseIno;
    public int ReaddirIno;
    public int DirectIo;
    public int KernelCache;
    public int AutoCache;
    public int NoRofdFlush;
    public int AcAttrTimeoutSet;
    public double AcAttrTimeout;
    public int NullpathOk;
    public int ShowHelp;
    public nint Modules;
    public int Debug;
}

/// <summary>struct fuse_conn_info: 128 bytes, all unsigned.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct FuseConnInfo
{
    public uint ProtoMajor;
    public uint ProtoMinor;
    public uint MaxWrite;
    public uint MaxRead;
    public uint MaxReadahead;
    public uint Capable;
    public uint Want;
    public uint MaxBackground;
    public uint CongestionThreshold;
    public uint TimeGran;
    public fixed uint Reserved[22];

    public const uint CapReaddirPlus = 1 << 13;
    public const uint CapParallelDirops = 1 << 18;
}

/// <summary>struct fuse_context: 40 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FuseContext
{
    public nint Fuse;
    public uint Uid;
    public uint Gid;
    public int Pid;
    public nint PrivateData;
    public uint Umask;
}
