namespace BucketMount.Engine;

public enum NodeKind
{
    File,
    Directory,
    Symlink,
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
