using System.Runtime.InteropServices;

namespace BucketMount.Fuse.Interop;

/// <summary>libfuse3's high-level API (default symbol versions: fuse_new@@FUSE_3.1, fuse_loop_mt@@FUSE_3.12) and the libc calls the host needs.</summary>
internal static unsafe partial class FuseNative
{
    public const string Library = "libfuse3.so.3";

    [LibraryImport(Library, EntryPoint = "fuse_new")]
    public static partial nint FuseNew(FuseArgs* args, FuseOperations* operations, nuint operationsSize, nint privateData);

    [LibraryImport(Library, EntryPoint = "fuse_mount", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int FuseMount(nint fuse, string mountpoint);

    [LibraryImport(Library, EntryPoint = "fuse_loop_mt")]
    public static partial int FuseLoopMt(nint fuse, nint config);

    [LibraryImport(Library, EntryPoint = "fuse_loop_cfg_create")]
    public static partial nint FuseLoopConfigCreate();

    [LibraryImport(Library, EntryPoint = "fuse_loop_cfg_destroy")]
    public static partial void FuseLoopConfigDestroy(nint config);

    [LibraryImport(Library, EntryPoint = "fuse_loop_cfg_set_max_threads")]
    public static partial void FuseLoopConfigSetMaxThreads(nint config, uint maxThreads);

    [LibraryImport(Library, EntryPoint = "fuse_exit")]
    public static partial void FuseExit(nint fuse);

    [LibraryImport(Library, EntryPoint = "fuse_unmount")]
    public static partial void FuseUnmount(nint fuse);

    [LibraryImport(Library, EntryPoint = "fuse_destroy")]
    public static partial void FuseDestroy(nint fuse);

    [LibraryImport(Library, EntryPoint = "fuse_get_context")]
    public static partial FuseContext* FuseGetContext();

    /// <summary>1 when the kernel interrupted the request this callback thread is serving (FUSE_INTERRUPT).</summary>
    [LibraryImport(Library, EntryPoint = "fuse_interrupted")]
    public static partial int FuseInterrupted();

    [LibraryImport(Library, EntryPoint = "fuse_opt_free_args")]
    public static partial void FuseOptFreeArgs(FuseArgs* args);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Umount2(string target, int flags);

    [LibraryImport("libc", EntryPoint = "access", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Access(string path, int mode);

    [LibraryImport("libc", EntryPoint = "getuid")]
    public static partial uint GetUid();

    [LibraryImport("libc", EntryPoint = "getgid")]
    public static partial uint GetGid();

    public const int MntDetach = 2;
}
