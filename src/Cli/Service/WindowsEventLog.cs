using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Extensions.Logging;

namespace BucketMount.Cli.Service;

/// <summary>
/// Warnings and errors of the service in the Windows event log (Application, source "bucketmount"), by hand:
/// System.Diagnostics.EventLog is a separate package. The installer registers the source; without that Windows still
/// records the text, with a note that the source's message file is missing.
/// </summary>
[SupportedOSPlatform("windows")]
internal static partial class WindowsEventLog
{
    private const ushort EventLogWarningType = 0x2;
    private const ushort EventLogErrorType = 0x1;
    private static readonly nint s_source = RegisterEventSourceW(null, "bucketmount");

    public static void Write(LogLevel level, string message)
    {
        if (s_source == 0)
        {
            return;
        }

        var text = Marshal.StringToHGlobalUni(message);
        try
        {
            ReportEventW(s_source, level >= LogLevel.Error ? EventLogErrorType : EventLogWarningType, 0, level >= LogLevel.Error ? 2u : 1u, 0, 1, 0, [text], 0);
        }
        finally
        {
            Marshal.FreeHGlobal(text);
        }
    }

    [LibraryImport("advapi32.dll", StringMarshalling = StringMarshalling.Utf16)]
    private static partial nint RegisterEventSourceW(string? server, string source);

    [LibraryImport("advapi32.dll")]
    private static partial int ReportEventW(nint source, ushort type, ushort category, uint eventId, nint userSid, ushort stringCount, uint dataSize, [In] nint[] strings, nint rawData);
}
