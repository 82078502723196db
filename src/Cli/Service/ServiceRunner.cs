using BucketMount.Cli.Configuration;
using BucketMount.Cli.Control;
using Microsoft.Extensions.Logging;

namespace BucketMount.Cli.Service;

/// <summary>
/// The service's body, the same under the Windows service manager and in a console: the supervisor of the
/// configured mounts, and the control channel (the service pipe) that `status`, `unmount` and the tray use.
/// </summary>
internal sealed partial class ServiceRunner(ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger("BucketMount.Service");
    private MountSupervisor? _supervisor;
    private ControlServer? _control;

    /// <summary>Starts the pipe, then the mounts (in the background: a store not reachable yet at boot is retried).</summary>
    public void Start()
    {
        // Named remotes resolve from the service's own file too.
        Environment.SetEnvironmentVariable("BUCKETMOUNT_CONFIG", ServicePaths.ConfigFile);
        var mounts = MountsConfig.Load(ServicePaths.ConfigFile);
        LogStarting(_logger, mounts.Count, ServicePaths.ConfigFile);
        _supervisor = new MountSupervisor(new ConfiguredMountRunner(loggers), () => MountsConfig.Load(ServicePaths.ConfigFile), loggers.CreateLogger("BucketMount.Service.Mounts"));
        _control = new ControlServer(ControlEndpoint.Service.Listen(forService: true), _supervisor);
        _supervisor.Start();
    }

    /// <summary>
    /// A service that could not start has no console: its reason goes to the log file and (as an error) to the event
    /// log, where an administrator looking at a service that stopped at once will look.
    /// </summary>
    public void ReportStartFailure(Exception error) => LogStartFailed(_logger, error.Message);

    /// <summary>
    /// Uploads what every mount has pending and unmounts them, passing progress on (the Windows host turns each line
    /// into a wait hint) and logging it, so that if Windows cuts the service off, the log says what was still pending.
    /// </summary>
    public async Task<int> StopAsync(Action<string> progress, CancellationToken cancellationToken)
    {
        if (_supervisor is null)
        {
            return 0;
        }

        LogStopping(_logger);
        var results = await _supervisor.StopAsync(line =>
        {
            LogProgress(_logger, line);
            progress(line);
        }, cancellationToken);
        foreach (var (name, code, message) in results)
        {
            if (code == 0)
            {
                LogStopped(_logger, name, message);
            }
            else
            {
                LogStopFailed(_logger, name, message);
            }
        }

        _control?.Dispose();
        return results.All(r => r.ExitCode == 0) ? 0 : 1;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Service starting: {Count} configured mount(s) in {File}")]
    private static partial void LogStarting(ILogger logger, int count, string file);

    [LoggerMessage(Level = LogLevel.Error, Message = "Service could not start: {Reason}")]
    private static partial void LogStartFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Service stopping: uploading what is pending, then unmounting")]
    private static partial void LogStopping(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Still pending: {Line}")]
    private static partial void LogProgress(ILogger logger, string line);

    [LoggerMessage(Level = LogLevel.Information, Message = "'{Name}': {Message}")]
    private static partial void LogStopped(ILogger logger, string name, string message);

    [LoggerMessage(Level = LogLevel.Error, Message = "'{Name}': {Message}")]
    private static partial void LogStopFailed(ILogger logger, string name, string message);
}
