using System.Runtime.InteropServices;

namespace BucketMount.Fuse;

/// <summary>
/// The process's open-file limit (RLIMIT_NOFILE). Every open file of the mount holds a staging file's descriptor,
/// and the usual soft limit of 1,024 is far below what a build or an untar keeps open; the hard limit (often
/// 524,288) is ours to take. Servers that hold many files (nginx, systemd, rclone) raise the soft limit to the hard
/// limit the same way.
/// </summary>
internal static partial class FileDescriptorLimit
{
    private const int RlimitNofile = 7;

    /// <summary>The soft and hard limits; null where they cannot be read (not Linux).</summary>
    public static (ulong Soft, ulong Hard)? Current()
    {
        if (!OperatingSystem.IsLinux() || GetRlimit(RlimitNofile, out var limit) != 0)
        {
            return null;
        }

        return (limit.Current, limit.Maximum);
    }

    /// <summary>Raises the soft limit to the hard limit; returns the limits before and after (null: unchanged or unknown).</summary>
    public static (ulong Before, ulong After)? RaiseSoftToHard()
    {
        if (Current() is not { } limits || limits.Soft >= limits.Hard)
        {
            return null;
        }

        var raised = new Rlimit { Current = limits.Hard, Maximum = limits.Hard };
        return SetRlimit(RlimitNofile, in raised) == 0 ? (limits.Soft, limits.Hard) : null;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Rlimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRlimit(int resource, out Rlimit limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetRlimit(int resource, in Rlimit limit);
}
