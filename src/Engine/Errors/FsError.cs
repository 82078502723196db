namespace BucketMount.Engine;

/// <summary>
/// Every failure the engine reports. Each host maps every member exactly once (errno, NTSTATUS), and a test
/// walks the enum, so nothing silently becomes a generic I/O error on one platform.
/// </summary>
public enum FsError
{
    /// <summary>No file or directory at that path (ENOENT).</summary>
    NotFound,

    /// <summary>Something already exists at that path (EEXIST).</summary>
    Exists,

    /// <summary>A path component, or the target, is a file where a directory is needed (ENOTDIR).</summary>
    NotADirectory,

    /// <summary>The target is a directory where a file is needed (EISDIR).</summary>
    IsADirectory,

    /// <summary>The directory still has entries (ENOTEMPTY).</summary>
    NotEmpty,

    /// <summary>The store refused our credentials or permissions (EACCES).</summary>
    AccessDenied,

    /// <summary>The mount is read-only (EROFS).</summary>
    ReadOnly,

    /// <summary>The local cache cannot take more dirty data (ENOSPC).</summary>
    NoSpace,

    /// <summary>A name this mount cannot store (EINVAL).</summary>
    InvalidName,

    /// <summary>A name longer than 255 bytes or a key longer than the store allows (ENAMETOOLONG).</summary>
    NameTooLong,

    /// <summary>An argument out of range: a negative offset or size (EINVAL).</summary>
    InvalidArgument,

    /// <summary>The operation is refused by design: hard links, exchange-rename, device nodes (ENOTSUP/EPERM).</summary>
    NotSupported,

    /// <summary>The handle does not allow this: a write on a read-only handle (EBADF).</summary>
    BadHandle,

    /// <summary>The store failed even after retries, or an upload failed (EIO).</summary>
    IoError,

    /// <summary>The store is unreachable or throttling beyond our retries, and the mount knows no answer of its own (EIO).</summary>
    Unavailable,

    /// <summary>The mount process has every file descriptor its limit allows open (EMFILE): not a full disk.</summary>
    TooManyOpenFiles,

    /// <summary>The whole system's open-file table is full (ENFILE): not a full disk.</summary>
    SystemTooManyOpenFiles,
}
