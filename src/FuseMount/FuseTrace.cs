using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BucketMount.Fuse;

/// <summary>
/// `--log-level Trace`: one line per operation the kernel asks of the mount (getattr, open, read, write, rename…)
/// with its path (escaped as `ls -b` shows it) and its answer: bytes for read and write, 0 or an errno name
/// otherwise. Static because the callbacks are; off (one flag test) unless Trace is on.
/// </summary>
internal static partial class FuseTrace
{
    private static ILogger s_logger = NullLogger.Instance;

    public static bool Enabled { get; private set; }

    public static void Use(ILogger logger)
    {
        s_logger = logger;
        Enabled = logger.IsEnabled(LogLevel.Trace);
    }

    /// <summary>Logs the operation when tracing, and passes its result through.</summary>
    public static int Done(string operation, string path, int result)
    {
        LogOperation(s_logger, operation, BucketMount.Backends.PrintableNames.Escape(path), result >= 0 ? result.ToString(System.Globalization.CultureInfo.InvariantCulture) : ErrnoName(-result));
        return result;
    }

    private static string ErrnoName(int errno) => errno switch
    {
        1 => "EPERM", 2 => "ENOENT", 5 => "EIO", 9 => "EBADF", 13 => "EACCES", 16 => "EBUSY", 17 => "EEXIST", 18 => "EXDEV",
        20 => "ENOTDIR", 21 => "EISDIR", 22 => "EINVAL", 27 => "EFBIG", 28 => "ENOSPC", 30 => "EROFS", 36 => "ENAMETOOLONG",
        38 => "ENOSYS", 39 => "ENOTEMPTY", 61 => "ENODATA", 95 => "EOPNOTSUPP", 4 => "EINTR", 110 => "ETIMEDOUT",
        _ => $"errno {errno}",
    };

    [LoggerMessage(Level = LogLevel.Trace, Message = "{Operation} '{Path}' -> {Result}")]
    private static partial void LogOperation(ILogger logger, string operation, string path, string result);
}
