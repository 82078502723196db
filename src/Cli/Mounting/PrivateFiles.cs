using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace BucketMount.Cli.Mounting;

/// <summary>
/// Keeps what the program writes on this machine private to its user: cache, journal, staging files, logs and
/// the control folder hold the bucket's data and file names (a journal record holds what was written). The
/// process umask becomes 077 at start, whatever the shell's, so every folder it creates is 0700 and every file
/// 0600; folders an earlier version (or another umask) left wider are narrowed when a mount starts, once, with
/// one log line.
/// </summary>
internal static partial class PrivateFiles
{
    private const UnixFileMode OthersAccess = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>The umask of the shell that started the first bucketmount process (decimal), for the processes it starts.</summary>
    internal const string UserUmaskVariable = "BUCKETMOUNT_USER_UMASK";

    /// <summary>Makes everything this process creates private to its user (no-op on Windows, where ACLs apply).</summary>
    public static void RestrictUmask()
    {
        if (!OperatingSystem.IsWindows())
        {
            // The local-folder store's data keeps the user's own umask (see SharedFileModes). A process this one
            // starts (a --daemon mount, the mount helper's) inherits 077, so the user's own travels in the
            // environment; without it a background mount wrote the store's files 0600 whatever the user's umask.
            var inherited = Umask(0x3F); // 077
            var user = Environment.GetEnvironmentVariable(UserUmaskVariable) is { } text
                && uint.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var passed) && passed <= 0x1FF
                ? passed
                : inherited;
            BucketMount.Backends.Local.SharedFileModes.UserUmask = user;
            Environment.SetEnvironmentVariable(UserUmaskVariable, user.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    /// <summary>
    /// Removes group and others' access from <paramref name="path"/> (a folder and everything below it, or one
    /// file) wherever they had any. Links are not followed. Logs one line when anything changed.
    /// </summary>
    public static void Narrow(string path, string what, ILogger logger)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var changed = 0;
        if (Directory.Exists(path) && !IsLink(path))
        {
            changed += NarrowOne(path);
            var walk = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true };
            foreach (var entry in new DirectoryInfo(path).EnumerateFileSystemInfos("*", walk))
            {
                changed += NarrowOne(entry.FullName);
            }
        }
        else if (File.Exists(path) && !IsLink(path))
        {
            changed += NarrowOne(path);
        }

        if (changed > 0)
        {
            Log.Narrowed(logger, what, path, changed);
        }
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static int NarrowOne(string path)
    {
        try
        {
            var current = File.GetUnixFileMode(path);
            if ((current & OthersAccess) == 0)
            {
                return 0;
            }

            File.SetUnixFileMode(path, current & ~OthersAccess);
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Gone meanwhile, or not ours: nothing to narrow.
            return 0;
        }
    }

    private static bool IsLink(string path) => new FileInfo(path).LinkTarget is not null;

    [LibraryImport("libc", EntryPoint = "umask")]
    private static partial uint Umask(uint mask);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "The {What} {Path} was open to other users of this machine: made {Count} folder(s) and file(s) in it private to you (0700 folders, 0600 files).")]
        public static partial void Narrowed(ILogger logger, string what, string path, int count);
    }
}
