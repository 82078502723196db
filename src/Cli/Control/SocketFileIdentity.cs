using System.Runtime.InteropServices;

namespace BucketMount.Cli.Control;

/// <summary>
/// Which file a path names now (device and inode, by statx without following links), so a mount that is going
/// deletes its control socket only while the path is still its own: `unmount` returns before the old process
/// has exited, and a new mount of the same mount point binds a socket of the same name meanwhile.
/// </summary>
internal static unsafe partial class SocketFileIdentity
{
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxIno = 0x100;

    /// <summary>(device, inode) of <paramref name="path"/>, or null when it is missing or cannot be asked.</summary>
    public static (ulong Device, ulong Inode)? Of(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        var buffer = stackalloc byte[256];
        if (Statx(-100 /* AT_FDCWD */, path, AtSymlinkNoFollow, StatxIno, buffer) != 0)
        {
            return null;
        }

        // struct statx: stx_ino at 32, stx_dev_major at 136, stx_dev_minor at 140 (the same on every architecture).
        var inode = *(ulong*)(buffer + 32);
        var device = ((ulong)*(uint*)(buffer + 136) << 32) | *(uint*)(buffer + 140);
        return (device, inode);
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directory, string path, int flags, uint mask, byte* buffer);
}
