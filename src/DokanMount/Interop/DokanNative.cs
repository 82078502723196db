using System.Runtime.InteropServices;

namespace BucketMount.Dokan.Interop;

/// <summary>
/// The dokan2 exports the host calls. "dokan2" resolves to dokan2.dll on Windows (installed by the Dokan
/// Library installer into System32) and to libdokan2.so on Linux, where only the test stand-in exists.
/// </summary>
internal static unsafe partial class DokanNative
{
    public const string Library = "dokan2";

    /// <summary>The DOKAN_VERSION this host was written against (2.3.1); it refuses libraries older than 2.3 (DokanLibrary).</summary>
    public const ushort Version = 231;

    public const uint WaitObject0 = 0;
    public const uint WaitTimeout = 0x102;
    public const uint Infinite = 0xFFFFFFFF;

    [LibraryImport(Library)]
    public static partial void DokanInit();

    [LibraryImport(Library)]
    public static partial void DokanShutdown();

    [LibraryImport(Library)]
    public static partial int DokanCreateFileSystem(DokanOptions* options, DokanOperations* operations, nint* instance);

    [LibraryImport(Library)]
    public static partial uint DokanWaitForFileSystemClosed(nint instance, uint milliseconds);

    [LibraryImport(Library)]
    public static partial void DokanCloseHandle(nint instance);

    [LibraryImport(Library)]
    public static partial uint DokanVersion();

    [LibraryImport(Library)]
    public static partial uint DokanDriverVersion();

    [LibraryImport(Library)]
    public static partial int DokanResetTimeout(uint milliseconds, DokanFileInfo* fileInfo);
}
