using System.Reflection;
using System.Runtime.Versioning;
using System.ServiceProcess;

namespace BucketMount.Cli.Service;

/// <summary>
/// Runs <see cref="ServiceRunner"/> under the Windows service manager with .NET's <see cref="ServiceBase"/> (the part
/// of Microsoft.Extensions.Hosting.WindowsServices that talks to the service manager, without the generic host the
/// rest of that package needs). Stop, shutdown and pre-shutdown all drain: the service reports STOP_PENDING and, for
/// every progress line of the drain (and every few seconds without one), asks for more time with a wait hint.
/// Only the Windows build reaches this class; the Linux native build never compiles it in.
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed class WindowsServiceHost : ServiceBase
{
    /// <summary>SERVICE_ACCEPT_PRESHUTDOWN and SERVICE_CONTROL_PRESHUTDOWN: ServiceBase has no property for them.</summary>
    private const int AcceptPreshutdown = 0x100;
    private const int ControlPreshutdown = 0xF;
    private const int WaitHintMs = 30_000;
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(5);

    private readonly ServiceRunner _runner;
    private readonly Lock _statusLock = new();
    private readonly Lock _drainLock = new();
    private Task<int>? _drain;
    private bool _started;
    private bool _startFailed;

    private WindowsServiceHost(string name, ServiceRunner runner)
    {
        _runner = runner;
        ServiceName = name;
        CanStop = true;
        CanShutdown = true;
        // Our own logger writes to the event log (warnings and errors) and to the file; ServiceBase's "started
        // successfully" entries would need the source registered by name from inside the service.
        AutoLog = false;
        AcceptPreshutdownIfPossible();
    }

    /// <summary>Connects to the service manager and blocks until the service has stopped; false when not started by it.</summary>
    public static bool Run(string name, ServiceRunner runner, out int exitCode)
    {
        using var service = new WindowsServiceHost(name, runner);
        try
        {
            Run(service);
        }
        catch (Exception) when (service._startFailed)
        {
            // ServiceBase.Run throws again what OnStart threw (already reported, and the exit code set).
        }

        exitCode = service.ExitCode;
        return service._started;
    }

    protected override void OnStart(string[] args)
    {
        _started = true;
        RequestAdditionalTime(WaitHintMs);
        try
        {
            _runner.Start();
        }
        catch (Exception e)
        {
            // ServiceBase reports the service stopped with this exit code when OnStart throws; a service has no
            // console, so the reason goes where an administrator looks: the log file and the event log.
            _runner.ReportStartFailure(e);
            ExitCode = 1;
            _startFailed = true;
            throw;
        }
    }

    /// <summary>The drain: ServiceBase has reported STOP_PENDING and reports STOPPED once this returns.</summary>
    protected override void OnStop()
    {
        AskForMoreTime();
        using var heartbeat = new Timer(_ => AskForMoreTime(), null, Heartbeat, Heartbeat);
        Task<int> drain;
        lock (_drainLock)
        {
            // A stop and a pre-shutdown that cross (both queued before either reported STOP_PENDING) share one drain.
            drain = _drain ??= _runner.StopAsync(_ => AskForMoreTime(), CancellationToken.None);
        }

        ExitCode = drain.GetAwaiter().GetResult();
        heartbeat.Change(Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>
    /// ServiceBase calls this with the service still RUNNING, where a wait hint is refused: Stop() first reports
    /// STOP_PENDING and then drains in <see cref="OnStop"/>, as `net stop` does.
    /// </summary>
    protected override void OnShutdown() => Stop();

    /// <summary>ServiceBase hands controls it does not know, pre-shutdown among them, to this method.</summary>
    protected override void OnCustomCommand(int command)
    {
        if (command == ControlPreshutdown)
        {
            Stop();
        }
    }

    /// <summary>From the drain's progress and from the heartbeat timer at once: each report takes the next checkpoint.</summary>
    private void AskForMoreTime()
    {
        try
        {
            lock (_statusLock)
            {
                RequestAdditionalTime(WaitHintMs);
            }
        }
        catch (InvalidOperationException)
        {
            // The drain finished between the tick and this call: the service is no longer pending.
        }
    }

    /// <summary>
    /// Pre-shutdown is why a service that flushes data can finish: at SHUTDOWN Windows gives services a few seconds
    /// and ignores wait hints, while a pre-shutdown handler gets them honoured (up to the pre-shutdown timeout,
    /// three minutes by default). ServiceBase has no public switch for it, only the mask of accepted controls it
    /// reports: add the bit there. If a later ServiceBase renames that field, the service still drains at SHUTDOWN.
    /// </summary>
    private void AcceptPreshutdownIfPossible()
    {
        var accepted = typeof(ServiceBase).GetField("_acceptedCommands", BindingFlags.Instance | BindingFlags.NonPublic);
        if (accepted?.GetValue(this) is int mask)
        {
            accepted.SetValue(this, mask | AcceptPreshutdown);
        }
    }
}
