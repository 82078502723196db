namespace BucketMount.Fuse;

/// <summary>How the FUSE host presents the engine to the kernel.</summary>
public sealed record FuseMountOptions
{
    /// <summary>Let other users see the mount (needs user_allow_other in /etc/fuse.conf unless root).</summary>
    public bool AllowOther { get; init; }

    /// <summary>Let the kernel check permission bits; on by default with <see cref="AllowOther"/>.</summary>
    public bool? DefaultPermissions { get; init; }

    /// <summary>Owner shown for objects that carry none; default: the mounting user.</summary>
    public uint? Uid { get; init; }

    /// <summary>Group shown for objects that carry none; default: the mounting user's group.</summary>
    public uint? Gid { get; init; }

    /// <summary>Permission bits removed from the default modes (0755 directories, 0644 files).</summary>
    public uint Umask { get; init; } = 0x12;

    public bool ReadOnly { get; init; }

    /// <summary>What df and /proc/mounts show as the source.</summary>
    public string FsName { get; init; } = "bucketmount";

    /// <summary>The type shows as fuse.&lt;subtype&gt;.</summary>
    public string Subtype { get; init; } = "bucketmount";

    /// <summary>Kernel cache of attributes and names.</summary>
    public TimeSpan AttributeTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long libfuse keeps a file's inode number after the kernel dropped the file from its inode cache (memory
    /// pressure, drop_caches); without it the next lookup numbers the same file anew, which find, git and
    /// pjdfstest take for another file. Bounded, so a mount that walks millions of files does not keep them all.
    /// </summary>
    public TimeSpan InodeNumberMemory { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>FUSE worker threads.</summary>
    public uint MaxThreads { get; init; } = 16;

    /// <summary>Longest a single operation may block a kernel request before it fails with ETIMEDOUT.</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromMinutes(10);

    public bool UsesDefaultPermissions => DefaultPermissions ?? AllowOther;
}
