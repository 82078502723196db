using System.CommandLine;
using System.Runtime.InteropServices;
using BucketMount.Cli.Logging;
using BucketMount.Cli.Service;
using Microsoft.Extensions.Logging;

namespace BucketMount.Cli.Commands;

/// <summary>
/// `bucketmount service`: keeps every configured mount (`bucketmount mounts`) mounted. Started by the Windows service
/// manager (the installer registers it), or in a console with --console for debugging (and on Linux, e.g. from a
/// systemd unit). Logs go to a rotating file (and, as a Windows service, warnings and errors to the event log).
/// </summary>
internal static class ServiceCommand
{
    public const string ServiceName = "bucketmount";

    /// <summary>How long `service --stop` (the installer) waits for the drain: pending uploads may be large.</summary>
    private static readonly TimeSpan StopBound = TimeSpan.FromMinutes(30);

    public static Command Create()
    {
        var console = new Option<bool>("--console") { Description = "Run in this console instead of under the Windows service manager (Ctrl+C stops it, draining uploads first)." };
        var level = new Option<LogLevel>("--log-level") { Description = "Trace, Debug, Information, Warning, Error or None.", DefaultValueFactory = _ => LogLevel.Information };
        var stop = new Option<bool>("--stop") { Description = "Stop the installed Windows service and wait until it has uploaded what is pending and exited (the installer runs this before it replaces or removes files)." };
        var removeData = new Option<bool>("--remove-data") { Description = "With --stop, once every change is in the store: remove the service's configuration, logs and default caches (the uninstaller's REMOVEUSERDATA=1)." };
        var command = new Command("service", "Keep the configured mounts mounted (see `bucketmount mounts`): the Windows service, or --console.") { console, level, stop, removeData };
        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(stop))
            {
                if (!OperatingSystem.IsWindows())
                {
                    await Console.Error.WriteLineAsync("bucketmount: `service --stop` stops the Windows service; elsewhere stop the unit running `bucketmount service --console`.");
                    return 2;
                }

                var stopped = WindowsServiceStopper.StopAndWait(ServiceName, StopBound, Console.Out);
                if (!parse.GetValue(removeData))
                {
                    return stopped;
                }

                if (stopped != 0)
                {
                    // Data safety: a journal still holding changes is never deleted.
                    await Console.Out.WriteLineAsync("The service's configuration, logs and caches are kept: not everything is in the store.");
                    return 1;
                }

                return ServiceDataRemover.Remove(Console.Out);
            }

            var logFile = Path.Combine(ServicePaths.LogFolder, "service.log");
            var inConsole = parse.GetValue(console);
            if (!inConsole && !OperatingSystem.IsWindows())
            {
                await Console.Error.WriteLineAsync("bucketmount: `service` runs under the Windows service manager; elsewhere run `bucketmount service --console` (from a systemd unit, for instance).");
                return 2;
            }

            using var file = new RotatingFileLog(logFile, limitBytes: 10L << 20, keep: 5);
            TextWriter output = inConsole ? new TeeWriter(Console.Error, file) : file;
            using var loggers = new SimpleLoggerProvider(parse.GetValue(level), output, OperatingSystem.IsWindows() && !inConsole ? WindowsEventLog.Write : null);
            var runner = new ServiceRunner(loggers);
            if (!inConsole && OperatingSystem.IsWindows())
            {
                if (!WindowsServiceHost.Run(ServiceName, runner, out var exitCode))
                {
                    await Console.Error.WriteLineAsync("bucketmount: not started by the Windows service manager; to debug in a console, run `bucketmount service --console`.");
                    return 2;
                }

                return exitCode;
            }

            return await RunInConsoleAsync(runner, logFile);
        });
        return command;
    }

    private static async Task<int> RunInConsoleAsync(ServiceRunner runner, string logFile)
    {
        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.TrySetResult();
        }

        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        try
        {
            runner.Start();
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or BucketMount.Backends.ObjectStoreException or System.Net.Sockets.SocketException)
        {
            await Console.Error.WriteLineAsync("bucketmount: " + e.Message);
            return 2;
        }

        await Console.Error.WriteLineAsync($"bucketmount service running (log: {logFile}); Ctrl+C uploads what is pending, then stops.");
        await stop.Task;
        return await runner.StopAsync(line => Console.Error.WriteLine("  " + line), CancellationToken.None);
    }

    /// <summary>Console mode writes the log to the console and to the file.</summary>
    private sealed class TeeWriter(TextWriter first, TextWriter second) : TextWriter
    {
        public override System.Text.Encoding Encoding => first.Encoding;

        public override void Write(char value)
        {
            first.Write(value);
            second.Write(value);
        }

        public override void WriteLine(string? value)
        {
            first.WriteLine(value);
            second.WriteLine(value);
        }
    }
}
