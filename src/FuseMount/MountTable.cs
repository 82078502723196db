using System.Text.RegularExpressions;
using BucketMount.Fuse.Interop;

namespace BucketMount.Fuse;

/// <summary>
/// What /proc/self/mountinfo says: whether a directory is a mount point, and which bucketmount mounts lost their
/// process (a `kill -9`, an OOM kill), whose directories then answer every call with "Transport endpoint is not
/// connected" until someone detaches them.
/// </summary>
public static partial class MountTable
{
    private const int NotConnected = 107;

    /// <summary>The file system type our mounts show (fuse.&lt;subtype&gt;).</summary>
    public static string OurType => "fuse." + new FuseMountOptions().Subtype;

    public static bool IsMounted(string mountPoint) => Entries().Any(e => e.MountPoint == Normalize(mountPoint));

    /// <summary>Our mounts whose process is gone: the kernel still lists them, but nobody answers.</summary>
    public static IReadOnlyList<string> Stale() =>
        [.. Entries().Where(e => e.Type == OurType && IsDisconnected(e.MountPoint)).Select(e => e.MountPoint)];

    /// <summary>True when the directory is one of our mounts whose process is gone.</summary>
    public static bool IsStale(string mountPoint) => Stale().Contains(Normalize(mountPoint));

    /// <summary>Detaches a mount whose process is gone (lazily: a program still inside keeps its dead directory).</summary>
    public static bool DetachStale(string mountPoint) => FuseMountHost.TryUnmount(Normalize(mountPoint), lazy: true);

    private static bool IsDisconnected(string path) =>
        FuseNative.Access(path, 0) != 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == NotConnected;

    private static string Normalize(string mountPoint) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(mountPoint));

    private static IEnumerable<(string MountPoint, string Type)> Entries()
    {
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            // Field 5 is the mount point (spaces and the like escaped as octal, \040); the type follows the " - ".
            var fields = line.Split(' ');
            var separator = Array.IndexOf(fields, "-");
            if (fields.Length > 4 && separator > 4 && separator + 1 < fields.Length)
            {
                yield return (Unescape(fields[4]), fields[separator + 1]);
            }
        }
    }

    private static string Unescape(string field) =>
        OctalEscape().Replace(field, m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString());

    [GeneratedRegex(@"\\([0-7]{3})")]
    private static partial Regex OctalEscape();
}
