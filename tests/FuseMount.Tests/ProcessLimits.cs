using System.Runtime.InteropServices;

namespace BucketMount.Fuse.Tests;

/// <summary>The test process's own open-file limit, to lower it for a test and put it back.</summary>
internal static partial class ProcessLimits
{
    private const int RlimitNofile = 7;

    public static (ulong Soft, ulong Hard) OpenFiles()
    {
        if (GetRlimit(RlimitNofile, out var limit) != 0)
        {
            throw new InvalidOperationException("getrlimit(RLIMIT_NOFILE) failed");
        }

        return (limit.Current, limit.Maximum);
    }

    public static void SetOpenFiles(ulong soft, ulong hard)
    {
        var limit = new Rlimit { Current = soft, Maximum = hard };
        if (SetRlimit(RlimitNofile, in limit) != 0)
        {
            throw new InvalidOperationException($"setrlimit(RLIMIT_NOFILE, {soft}, {hard}) failed");
        }
    }

    /// <summary>The soft limit as the kernel reports it in /proc/self/limits ("Max open files  SOFT  HARD  files").</summary>
    public static ulong SoftOpenFilesFromProc()
    {
        var line = File.ReadAllLines("/proc/self/limits").Single(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        return ulong.Parse(line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    public static int OpenDescriptors() => Directory.GetFileSystemEntries("/proc/self/fd").Length;

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
