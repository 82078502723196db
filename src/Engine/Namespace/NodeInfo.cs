namespace BucketMount.Engine;

public enum NodeKind
{
    File,
    Directory,
    Symlink,

    /// <summary>A named pipe (mkfifo): the kernel carries its data on this machine; nothing of it is stored.</summary>
    Fifo,

    /// <summary>A Unix socket path (bind()): a rendezvous point on this machine only.</summary>
    Socket,

    CharDevice,
    BlockDevice,
}

/// <summary>The file type bits of a mode (S_IFMT) and the kinds they stand for, as s3fs stores them in <c>mode</c>.</summary>
public static class NodeKinds
{
    public const int TypeMask = 0xF000;
    public const int FifoBits = 0x1000;
    public const int CharDeviceBits = 0x2000;
    public const int DirectoryBits = 0x4000;
    public const int BlockDeviceBits = 0x6000;
    public const int FileBits = 0x8000;
    public const int SymlinkBits = 0xA000;
    public const int SocketBits = 0xC000;

    /// <summary>The kind an object's stored mode says; a regular file when the mode is unknown or names no other kind.</summary>
    public static NodeKind FromMode(int? mode) => mode is { } m ? FromTypeBits(m & TypeMask) : NodeKind.File;

    public static NodeKind FromTypeBits(int typeBits) => typeBits switch
    {
        SymlinkBits => NodeKind.Symlink,
        FifoBits => NodeKind.Fifo,
        SocketBits => NodeKind.Socket,
        CharDeviceBits => NodeKind.CharDevice,
        BlockDeviceBits => NodeKind.BlockDevice,
        _ => NodeKind.File,
    };

    public static int TypeBits(NodeKind kind) => kind switch
    {
        NodeKind.Directory => DirectoryBits,
        NodeKind.Symlink => SymlinkBits,
        NodeKind.Fifo => FifoBits,
        NodeKind.Socket => SocketBits,
        NodeKind.CharDevice => CharDeviceBits,
        NodeKind.BlockDevice => BlockDeviceBits,
        _ => FileBits,
    };

    /// <summary>FIFOs, sockets and device nodes: empty objects whose meaning is on this machine (the kernel serves their I/O).</summary>
    public static bool IsSpecial(NodeKind kind) => kind is NodeKind.Fifo or NodeKind.Socket or NodeKind.CharDevice or NodeKind.BlockDevice;
}

/// <summary>
/// What a host shows for one file or directory. Mode, owner and group are null when the object carries none;
/// hosts fill in their configured defaults.
/// </summary>
public sealed record NodeInfo(
    string Name,
    NodeKind Kind,
    long Size,
    DateTimeOffset ModifiedTime,
    int? Mode = null,
    int? Uid = null,
    int? Gid = null)
{
    public bool IsDirectory => Kind == NodeKind.Directory;

    /// <summary>The store's ETag of the version shown; null for directories and files not uploaded yet.</summary>
    public string? ETag { get; init; }

    /// <summary>True while local changes have not reached the store.</summary>
    public bool IsDirty { get; init; }

    /// <summary>Where a symbolic link points.</summary>
    public string? LinkTarget { get; init; }

    /// <summary>Windows file attributes (hidden, system, archive…) set through the Dokan host; null when never set.</summary>
    public int? WindowsAttributes { get; init; }

    /// <summary>The creation time a Windows program set; null when never set (hosts show the modification time).</summary>
    public DateTimeOffset? CreationTime { get; init; }

    /// <summary>The device number of a character or block device node (the kernel's dev_t); null otherwise.</summary>
    public long? Rdev { get; init; }

    public bool IsSpecial => NodeKinds.IsSpecial(Kind);

    /// <summary>The last status change (content, mode, owner, name, link count); null when unknown (hosts show the modification time).</summary>
    public DateTimeOffset? ChangeTime { get; init; }

    /// <summary>The last access as the relatime policy keeps it; null when unknown (hosts show the modification time).</summary>
    public DateTimeOffset? AccessTime { get; init; }

    /// <summary>Nanoseconds of the modification time below the 100 ns tick (0-99), as a program set them with utimensat.</summary>
    public int ModifiedTimeSubTickNs { get; init; }

    /// <summary>Nanoseconds of the access time below the 100 ns tick (0-99).</summary>
    public int AccessTimeSubTickNs { get; init; }

    public static NodeInfo Directory(string name, DateTimeOffset modified) => new(name, NodeKind.Directory, 0, modified);
}
