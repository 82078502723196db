using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace BucketMount.Cli.Service;

/// <summary>
/// `bucketmount service --stop`: stops the installed service and waits until its process has EXITED, not only until
/// it says "stopped". The installer runs it before it replaces or removes files: Windows Installer's own service stop
/// gives a service 30 s (a long drain fails the upgrade with error 1921), and it goes on as soon as the service
/// reports STOPPED, while the process still holds its executable and DLLs open for a moment, so they are left in use
/// (Wine leaves them behind; Windows asks for a reboot).
/// </summary>
[SupportedOSPlatform("windows")]
internal static unsafe partial class WindowsServiceStopper
{
    private const uint ScManagerConnect = 0x1;
    private const uint ServiceQueryStatus = 0x4;
    private const uint ServiceStop = 0x20;
    private const uint Synchronize = 0x100000;
    private const uint ScStatusProcessInfo = 0;
    private const int ErrorServiceDoesNotExist = 1060;
    private const int ErrorServiceNotActive = 1062;
    private const uint ErrorServiceNeverStarted = 1077;
    private const uint WaitObject0 = 0;
    private const uint StateStopped = 1;
    private const uint StateStopPending = 3;
    private const uint ControlStop = 1;

    /// <summary>
    /// 0 when the service is not installed, not running, or has exited after uploading everything; 1 when it could not
    /// be stopped within <paramref name="bound"/> or stopped with changes left in a cache's journal (for the next start).
    /// </summary>
    public static int StopAndWait(string name, TimeSpan bound, TextWriter output)
    {
        var manager = OpenSCManagerW(null, null, ScManagerConnect);
        if (manager == 0)
        {
            output.WriteLine($"bucketmount: cannot reach the service manager (error {Marshal.GetLastPInvokeError()}); run this elevated.");
            return 1;
        }

        try
        {
            var service = OpenServiceW(manager, name, ServiceQueryStatus | ServiceStop);
            if (service == 0)
            {
                var error = Marshal.GetLastPInvokeError();
                output.WriteLine(error == ErrorServiceDoesNotExist ? $"The {name} service is not installed." : $"bucketmount: cannot open the {name} service (error {error}); run this elevated.");
                return error == ErrorServiceDoesNotExist ? 0 : 1;
            }

            try
            {
                return StopAndWait(service, name, bound, output);
            }
            finally
            {
                CloseServiceHandle(service);
            }
        }
        finally
        {
            CloseServiceHandle(manager);
        }
    }

    private static int StopAndWait(nint service, string name, TimeSpan bound, TextWriter output)
    {
        var status = Query(service);
        if (status.Status.CurrentState == StateStopped || status.ProcessId == 0)
        {
            // Its last exit code still says whether it left changes behind (or was cut off) when it last stopped.
            // ERROR_SERVICE_NEVER_STARTED (1077): nothing of its own to leave.
            var clean = status.Status.Win32ExitCode is 0 or ErrorServiceNeverStarted;
            output.WriteLine(clean ? $"The {name} service is not running."
                : $"The {name} service is not running; when it last stopped, some changes were not uploaded (exit code {status.Status.Win32ExitCode}): they stay in the cache's journal and go at its next start.");
            return clean ? 0 : 1;
        }

        // The process handle first: once the service has stopped, its status no longer names the process.
        var process = OpenProcess(Synchronize, 0, status.ProcessId);
        try
        {
            if (status.Status.CurrentState != StateStopPending)
            {
                ServiceStatus ignored;
                if (ControlService(service, ControlStop, &ignored) == 0 && Marshal.GetLastPInvokeError() is var error && error != ErrorServiceNotActive)
                {
                    output.WriteLine($"bucketmount: the {name} service refused to stop (error {error}).");
                    return 1;
                }
            }

            output.WriteLine($"Stopping the {name} service: it uploads what is pending first.");
            var deadline = DateTime.UtcNow + bound;
            var exited = process != 0
                ? WaitForSingleObject(process, (uint)bound.TotalMilliseconds) == WaitObject0
                : WaitForStoppedStatus(service, deadline);
            if (!exited)
            {
                output.WriteLine($"bucketmount: the {name} service is still stopping after {bound.TotalMinutes:0} minutes (uploads still running; its log says what is left).");
                return 1;
            }

            // The service's last status carries its exit code: non-zero when a mount left changes in its cache's journal.
            if (Query(service).Status.Win32ExitCode != 0)
            {
                output.WriteLine($"The {name} service has stopped, but some changes could not be uploaded: they stay in the cache's journal and go at its next start (its log lists them).");
                return 1;
            }

            output.WriteLine($"The {name} service has stopped: every change is in the store.");
            return 0;
        }
        finally
        {
            if (process != 0)
            {
                CloseHandle(process);
            }
        }
    }

    /// <summary>Without the right to wait on the process (or when it is gone already), its status is the next best thing.</summary>
    private static bool WaitForStoppedStatus(nint service, DateTime deadline)
    {
        while (Query(service).Status.CurrentState != StateStopped && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(200);
        }

        return Query(service).Status.CurrentState == StateStopped;
    }

    private static ServiceStatusProcess Query(nint service)
    {
        ServiceStatusProcess status;
        return QueryServiceStatusEx(service, ScStatusProcessInfo, &status, (uint)sizeof(ServiceStatusProcess), out _) != 0 ? status : default;
    }

    /// <summary>SERVICE_STATUS_PROCESS.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct ServiceStatusProcess
    {
        public ServiceStatus Status;
        public uint ProcessId;
        public uint ServiceFlags;
    }

    /// <summary>SERVICE_STATUS, the head of SERVICE_STATUS_PROCESS.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct ServiceStatus
    {
        public uint ServiceType;
        public uint CurrentState;
        public uint ControlsAccepted;
        public uint Win32ExitCode;
        public uint ServiceSpecificExitCode;
        public uint CheckPoint;
        public uint WaitHint;
    }

    [LibraryImport("advapi32.dll", SetLastError = true, StringMarshalling = StringMarshalling.Utf16)]
    private static partial nint OpenSCManagerW(string? machine, string? database, uint access);

    [LibraryImport("advapi32.dll", SetLastError = true, StringMarshalling = StringMarshalling.Utf16)]
    private static partial nint OpenServiceW(nint manager, string name, uint access);

    [LibraryImport("advapi32.dll", SetLastError = true)]
    private static partial int QueryServiceStatusEx(nint service, uint level, ServiceStatusProcess* buffer, uint size, out uint needed);

    [LibraryImport("advapi32.dll", SetLastError = true)]
    private static partial int ControlService(nint service, uint control, ServiceStatus* status);

    [LibraryImport("advapi32.dll")]
    private static partial int CloseServiceHandle(nint handle);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    private static partial nint OpenProcess(uint access, int inherit, uint processId);

    [LibraryImport("kernel32.dll")]
    private static partial uint WaitForSingleObject(nint handle, uint milliseconds);

    [LibraryImport("kernel32.dll")]
    private static partial int CloseHandle(nint handle);
}
