using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace BucketMount.Cli.Service;

/// <summary>
/// Runs <see cref="ServiceRunner"/> under the Windows service manager with advapi32 by hand (no hosting framework in
/// the CLI, which is also the AOT-compiled Linux build). Stop, shutdown and pre-shutdown all drain: the service
/// reports STOP_PENDING and, for every progress line of the drain (and every few seconds without one), a new
/// checkpoint with a wait hint, which is how a service asks Windows for more time.
/// </summary>
[SupportedOSPlatform("windows")]
internal static unsafe partial class WindowsServiceHost
{
    private const uint ServiceWin32OwnProcess = 0x10;
    internal const uint StateStopped = 1;
    private const uint StateStartPending = 2;
    internal const uint StateStopPending = 3;
    private const uint StateRunning = 4;
    internal const uint ControlStop = 1;
    private const uint ControlInterrogate = 4;
    private const uint ControlShutdown = 5;
    private const uint ControlPreshutdown = 0xF;
    private const uint AcceptStop = 0x1;
    private const uint AcceptShutdown = 0x4;
    private const uint AcceptPreshutdown = 0x100;
    private const uint ErrorCallNotImplemented = 120;
    private const uint WaitHintMs = 30_000;
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(5);

    private static readonly ManualResetEventSlim s_stopRequested = new();
    private static readonly object s_statusLock = new();
    private static ServiceRunner? s_runner;
    private static nint s_handle;
    private static uint s_checkpoint;
    private static int s_exitCode;

    /// <summary>Connects to the service manager and blocks until the service has stopped; false when not started by it.</summary>
    public static bool Run(string name, ServiceRunner runner)
    {
        s_runner = runner;
        var serviceName = Marshal.StringToHGlobalUni(name);
        try
        {
            var table = stackalloc ServiceTableEntry[2];
            table[0] = new ServiceTableEntry { Name = (char*)serviceName, Main = &ServiceMain };
            table[1] = default;
            return StartServiceCtrlDispatcherW(table) != 0;
        }
        finally
        {
            Marshal.FreeHGlobal(serviceName);
        }
    }

    public static int ExitCode => s_exitCode;

    [UnmanagedCallersOnly]
    private static void ServiceMain(uint argc, char** argv)
    {
        s_handle = RegisterServiceCtrlHandlerExW(argv is null ? null : argv[0], &Handler, 0);
        Report(StateStartPending, WaitHintMs);
        try
        {
            s_runner!.Start();
        }
        catch (Exception e)
        {
            Console.Error.WriteLine("bucketmount service: " + e.Message);
            s_exitCode = 1;
            Report(StateStopped, 0, exitCode: 1);
            return;
        }

        Report(StateRunning, 0);
        s_stopRequested.Wait();

        // The drain runs here, on the service's own thread: ServiceMain returning ends the service.
        Report(StateStopPending, WaitHintMs);
        using var heartbeat = new Timer(_ => Report(StateStopPending, WaitHintMs), null, Heartbeat, Heartbeat);
        s_exitCode = s_runner.StopAsync(_ => Report(StateStopPending, WaitHintMs), CancellationToken.None).GetAwaiter().GetResult();
        heartbeat.Change(Timeout.Infinite, Timeout.Infinite);

        Report(StateStopped, 0, exitCode: (uint)s_exitCode);
    }

    [UnmanagedCallersOnly]
    private static uint Handler(uint control, uint eventType, nint eventData, nint context)
    {
        switch (control)
        {
            case ControlStop or ControlShutdown or ControlPreshutdown:
                s_stopRequested.Set();
                return 0;
            case ControlInterrogate:
                return 0;
            default:
                return ErrorCallNotImplemented;
        }
    }

    private static void Report(uint state, uint waitHint, uint exitCode = 0)
    {
        lock (s_statusLock)
        {
            var status = new ServiceStatus
            {
                ServiceType = ServiceWin32OwnProcess,
                CurrentState = state,
                ControlsAccepted = state == StateRunning ? AcceptStop | AcceptShutdown | AcceptPreshutdown : 0,
                Win32ExitCode = exitCode,
                CheckPoint = state is StateStartPending or StateStopPending ? ++s_checkpoint : 0,
                WaitHint = waitHint,
            };
            SetServiceStatus(s_handle, &status);
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct ServiceTableEntry
    {
        public char* Name;
        public delegate* unmanaged<uint, char**, void> Main;
    }

    /// <summary>SERVICE_STATUS (also the head of SERVICE_STATUS_PROCESS, which <see cref="WindowsServiceStopper"/> reads).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct ServiceStatus
    {
        public uint ServiceType;
        public uint CurrentState;
        public uint ControlsAccepted;
        public uint Win32ExitCode;
        public uint ServiceSpecificExitCode;
        public uint CheckPoint;
        public uint WaitHint;
    }

    [LibraryImport("advapi32.dll", SetLastError = true)]
    private static partial int StartServiceCtrlDispatcherW(ServiceTableEntry* table);

    [LibraryImport("advapi32.dll", SetLastError = true)]
    private static partial nint RegisterServiceCtrlHandlerExW(char* name, delegate* unmanaged<uint, uint, nint, nint, uint> handler, nint context);

    [LibraryImport("advapi32.dll", SetLastError = true)]
    private static partial int SetServiceStatus(nint handle, ServiceStatus* status);
}
