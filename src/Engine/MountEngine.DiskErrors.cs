using BucketMount.Backends.Diagnostics;
using Microsoft.Extensions.Logging;

namespace BucketMount.Engine;

public sealed partial class MountEngine
{
    private const int LinuxEnfile = 23;
    private const int LinuxEmfile = 24;
    private const int WindowsTooManyOpenFiles = unchecked((int)0x80070004);

    /// <summary>At most one "out of file descriptors" log line per kind per interval: every request fails alike then.</summary>
    private readonly LogRateLimiter _descriptorWarnings = new(LogRateLimiter.DefaultInterval);

    /// <summary>
    /// The error a failed staging-file call answers. Out of file descriptors is not a full disk: it surfaces as
    /// EMFILE/ENFILE with a log line naming the limit, so nobody goes looking for disk space. (.NET on Unix gives the
    /// raw errno as the IOException's HResult.)
    /// </summary>
    internal FileSystemException CacheDiskError(string path, string whatFailed, IOException error)
    {
        var outOfDescriptors = error.HResult switch
        {
            LinuxEmfile or WindowsTooManyOpenFiles => FsError.TooManyOpenFiles,
            LinuxEnfile => FsError.SystemTooManyOpenFiles,
            _ => (FsError?)null,
        };
        if (outOfDescriptors is not { } kind)
        {
            return new FileSystemException(FsError.NoSpace, path, whatFailed + ": " + error.Message, error);
        }

        if (_descriptorWarnings.ShouldLog(kind.ToString(), out _))
        {
            _logger.LogWarning(kind == FsError.TooManyOpenFiles
                ? "Out of file descriptors: the mount has as many files open as its limit allows (ulimit -n); each open file of the mount holds one. Files being opened or written fail with 'Too many open files' until some are closed."
                : "The system's open-file table is full (fs.file-max): files being opened or written in the mount fail with 'Too many open files in system' until programs close some.");
        }

        return new FileSystemException(kind, path, whatFailed + ": too many open files.", error);
    }
}
