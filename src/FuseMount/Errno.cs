using BucketMount.Engine;

namespace BucketMount.Fuse;

/// <summary>
/// The one mapping from engine errors to Linux errno values; tests/FuseMount.Tests walks every <see cref="FsError"/>.
/// An error this table does not know answers EIO (logged once per kind): it runs inside libfuse's callbacks, where
/// an exception would end the whole process.
/// </summary>
public static class Errno
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int EIO = 5;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int EACCES = 13;
    public const int EEXIST = 17;
    public const int ENOTDIR = 20;
    public const int EISDIR = 21;
    public const int EINVAL = 22;
    public const int ENFILE = 23;
    public const int EMFILE = 24;
    public const int ENOSPC = 28;
    public const int EROFS = 30;
    public const int ENAMETOOLONG = 36;
    public const int ENOSYS = 38;
    public const int ENOTEMPTY = 39;
    public const int ENODATA = 61;
    public const int EOPNOTSUPP = 95;
    public const int ETIMEDOUT = 110;

    public static int From(FsError error) => error switch
    {
        FsError.NotFound => ENOENT,
        FsError.Exists => EEXIST,
        FsError.NotADirectory => ENOTDIR,
        FsError.IsADirectory => EISDIR,
        FsError.NotEmpty => ENOTEMPTY,
        FsError.AccessDenied => EACCES,
        FsError.ReadOnly => EROFS,
        FsError.NoSpace => ENOSPC,
        FsError.InvalidName => EINVAL,
        FsError.NameTooLong => ENAMETOOLONG,
        FsError.InvalidArgument => EINVAL,
        FsError.NotSupported => EOPNOTSUPP,
        FsError.BadHandle => EBADF,
        FsError.IoError => EIO,
        // EIO, not EAGAIN: programs retry EAGAIN at once in a loop; our retries are already spent.
        FsError.Unavailable => EIO,
        FsError.TooManyOpenFiles => EMFILE,
        FsError.SystemTooManyOpenFiles => ENFILE,
        _ => Unmapped(error),
    };

    private static int Unmapped(FsError error)
    {
        FuseErrorLog.Once($"errno:{error}", $"the engine reported an error this mount has no errno for ({error}); programs see EIO (input/output error). Please report it.");
        return EIO;
    }
}
