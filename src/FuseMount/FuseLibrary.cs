using System.Runtime.InteropServices;

namespace BucketMount.Fuse;

/// <summary>Checks up front that FUSE can work here, with a message that says which package to install.</summary>
public static class FuseLibrary
{
    public static void EnsureAvailable()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("the FUSE host runs on Linux; on Windows use the Dokan host.");
        }

        if (!NativeLibrary.TryLoad(Interop.FuseNative.Library, out var handle))
        {
            throw new DllNotFoundException("libfuse3 is not installed: run `apt-get install fuse3 libfuse3-3` (Debian/Ubuntu) or your distribution's fuse3 package.");
        }

        NativeLibrary.Free(handle);
        if (!File.Exists("/dev/fuse"))
        {
            throw new InvalidOperationException("/dev/fuse does not exist: load the fuse kernel module, or in a container run with --device /dev/fuse --cap-add SYS_ADMIN.");
        }
    }
}
