using System.Runtime.InteropServices;
using BucketMount.Dokan.Interop;

namespace BucketMount.Dokan;

/// <summary>Checks up front that Dokan can mount here, with a message that says what to install.</summary>
public static class DokanLibrary
{
    public const string DownloadUrl = "https://github.com/dokan-dev/dokany/releases";
    private const uint MinimumVersion = 200;

    private static readonly object s_lock = new();
    private static bool s_initialized;

    public static void EnsureAvailable()
    {
        if (!NativeLibrary.TryLoad(DokanNative.Library, typeof(DokanLibrary).Assembly, null, out var handle))
        {
            throw new DllNotFoundException(
                $"Dokan is not installed (dokan2.dll was not found): install Dokan Library 2.3.1 or newer (DokanSetup.exe from {DownloadUrl}), then run this again.");
        }

        NativeLibrary.Free(handle);
        var version = DokanNative.DokanVersion();
        if (version < MinimumVersion)
        {
            throw new InvalidOperationException($"dokan2.dll is version {Describe(version)}; bucketmount needs Dokan 2.0 or newer: update it from {DownloadUrl}.");
        }

        if (DokanNative.DokanDriverVersion() == 0)
        {
            throw new InvalidOperationException(
                $"the Dokan driver (dokan2.sys) is not installed or not running, though dokan2.dll {Describe(version)} is: reinstall Dokan Library from {DownloadUrl} and restart Windows.");
        }
    }

    /// <summary>DokanInit once per process (mounting without it kills the process); DokanShutdown when the process exits.</summary>
    internal static void InitializeOnce()
    {
        lock (s_lock)
        {
            if (s_initialized)
            {
                return;
            }

            DokanNative.DokanInit();
            s_initialized = true;
            AppDomain.CurrentDomain.ProcessExit += (_, _) => DokanNative.DokanShutdown();
        }
    }

    /// <summary>What a DokanCreateFileSystem result means, and what to do about it.</summary>
    internal static string DescribeMountError(int result, string mountPoint) => result switch
    {
        -2 => $"the drive letter {mountPoint} cannot be used (in use or reserved): choose another letter, or * for the first free one.",
        -3 => $"the Dokan driver is not installed or did not load: reinstall Dokan Library 2.3.1 from {DownloadUrl} and restart Windows.",
        -4 => "the Dokan driver did not start the file system: check that the Dokan service is running (sc query dokan2) and try again.",
        -5 => $"Windows refused to assign {mountPoint}: check that the letter is free (or the folder is empty) and that you may mount there.",
        -6 => $"'{mountPoint}' is not a usable mount point: use a free drive letter or an empty folder on an NTFS volume.",
        -7 => $"dokan2.dll is too old for this program: install Dokan Library 2.3.1 or newer from {DownloadUrl}.",
        _ => $"Dokan could not mount at {mountPoint} (error {result}); run with --log-level Debug for details.",
    };

    private static string Describe(uint version) => $"{version / 100}.{version / 10 % 10}.{version % 10}";
}
