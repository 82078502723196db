namespace BucketMount.Engine;

/// <summary>How a file is opened; hosts translate O_* flags or CreateFile dispositions into these.</summary>
[Flags]
public enum OpenFlags
{
    Read = 1,
    Write = 2,
    ReadWrite = Read | Write,

    /// <summary>Create the file when it does not exist (O_CREAT).</summary>
    Create = 4,

    /// <summary>With Create: fail with Exists when it does exist (O_EXCL).</summary>
    Exclusive = 8,

    /// <summary>Empty the file on open (O_TRUNC).</summary>
    Truncate = 16,

    /// <summary>Every write goes to the end of the file, whatever offset it names (O_APPEND).</summary>
    Append = 32,
}

/// <summary>Attributes to change; null members stay as they are.</summary>
public sealed record AttributeChanges
{
    public long? Size { get; init; }

    public DateTimeOffset? ModifiedTime { get; init; }

    public int? Mode { get; init; }

    public int? Uid { get; init; }

    public int? Gid { get; init; }

    /// <summary>Windows attribute bits to keep with the file (the Dokan host's FILE_ATTRIBUTE_* values).</summary>
    public int? WindowsAttributes { get; init; }

    public DateTimeOffset? CreationTime { get; init; }

    /// <summary>The access time to keep (utimensat's first time; UTIME_OMIT leaves it null).</summary>
    public DateTimeOffset? AccessTime { get; init; }

    /// <summary>Nanoseconds of <see cref="ModifiedTime"/> below its 100 ns tick (0-99); used only with it.</summary>
    public int ModifiedTimeSubTickNs { get; init; }

    /// <summary>Nanoseconds of <see cref="AccessTime"/> below its 100 ns tick (0-99); used only with it.</summary>
    public int AccessTimeSubTickNs { get; init; }

    /// <summary>Stamped by the engine on every change it applies (POSIX: chmod, chown, utimensat set ctime); hosts leave it null.</summary>
    internal DateTimeOffset? ChangeTime { get; init; }

    /// <summary>True when only Size (or nothing) is set: no metadata to write.</summary>
    internal bool ChangesMetadata =>
        ModifiedTime is not null || Mode is not null || Uid is not null || Gid is not null || WindowsAttributes is not null || CreationTime is not null ||
        AccessTime is not null;
}
