using System.Runtime.InteropServices;
using BucketMount.Dokan.Interop;

namespace BucketMount.Dokan;

/// <summary>Checks up front that Dokan can mount here, with a message that says what to install.</summary>
public static class DokanLibrary
{
    public const string DownloadUrl = "https://github.com/dokan-dev/dokany/releases";

    /// <summary>
    /// Dokan 2.3.0. Dokan 2.0.0 also calls itself 200 (DOKAN_MINIMUM_COMPATIBLE_VERSION) but lacks DokanCreateFileSystem,
    /// DokanWaitForFileSystemClosed and DokanCloseHandle and lays DOKAN_FILE_INFO out differently; 2.3 is also where the
    /// deletion rules this host follows (DeletePending at Cleanup) come from.
    /// </summary>
    internal const uint MinimumVersion = 230;

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
            throw new InvalidOperationException($"dokan2.dll is version {Describe(version)}; bucketmount needs Dokan 2.3 or newer: install Dokan Library 2.3.1 or newer (DokanSetup.exe from {DownloadUrl}), then restart Windows.");
        }

        if (DokanNative.DokanDriverVersion() == 0)
        {
            throw new InvalidOperationException(
                $"the Dokan driver (dokan2.sys) is not installed or not running, though dokan2.dll {Describe(version)} is: reinstall Dokan Library from {DownloadUrl} and restart Windows.");
        }
    }

    /// <summary>What a DokanCreateFileSystem result means, and what to do about it.</summary>
    internal static string DescribeMountError(int result, string mountPoint) => result switch
    {
        // Only what dokany 2.3's DokanCreateFileSystem can answer this host: -1 and -2 are never returned, -6 only for
        // a network drive without a UNC name, and -7 for the options' version only below 200 (this host sends 231).
        -3 => $"the Dokan driver (dokan2.sys) is not installed or failed to start: reinstall Dokan Library 2.3.1 or newer from {DownloadUrl}, restart Windows, and check `sc query dokan2`.",
        -4 => "the Dokan driver refused to start the file system: check that the Dokan service is running (sc query dokan2) and try again.",
        -5 => $"Windows could not assign {mountPoint}: check that the letter is free (or the folder is empty) and that you may mount there.",
        -7 => $"dokan2.dll and the Dokan driver are different versions (this program asks for Dokan 2.3.1): reinstall Dokan Library 2.3.1 or newer from {DownloadUrl} so both match, then restart Windows.",
        _ => $"Dokan could not mount at {mountPoint} (error {result}); run with --log-level Debug for details.",
    };

    private static string Describe(uint version) => $"{version / 100}.{version / 10 % 10}.{version % 10}";
}
