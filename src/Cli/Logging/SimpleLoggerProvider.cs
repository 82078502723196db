using BucketMount.Backends;
using Microsoft.Extensions.Logging;

namespace BucketMount.Cli.Logging;

/// <summary>
/// Writes log lines at or above a level to a file (appending) or to standard error. Messages come from typed
/// [LoggerMessage] methods, which never take secrets as arguments. A log file rotates once it passes its size limit,
/// as logrotate would: FILE becomes FILE.1, FILE.1 becomes FILE.2 and so on, keeping <see cref="KeptFiles"/> old ones,
/// so a long-running mount logging every request at Debug cannot fill the disk.
/// </summary>
internal sealed class SimpleLoggerProvider : ILoggerProvider, ILoggerFactory
{
    /// <summary>Old log files kept beside the current one.</summary>
    public const int KeptFiles = 3;

    /// <summary>Size past which a log file rotates by default (--log-file-max-mib).</summary>
    public const long DefaultMaxFileMiB = 64;

    private readonly Lock _gate = new();
    private readonly LogLevel _minimum;
    private readonly bool _ownsOutput;
    private readonly Action<LogLevel, string>? _alerts;
    private readonly TextWriter _output;

    public SimpleLoggerProvider(LogLevel minimum, string? file, long maxFileBytes = 0)
    {
        _minimum = minimum;
        if (file is null)
        {
            _output = Console.Error;
        }
        else
        {
            _output = new RotatingFileLog(file, maxFileBytes, KeptFiles);
            _ownsOutput = true;
        }
    }

    /// <summary>Lines to <paramref name="output"/> (the service's rotating file), and warnings and errors also to <paramref name="alerts"/> (the event log).</summary>
    public SimpleLoggerProvider(LogLevel minimum, TextWriter output, Action<LogLevel, string>? alerts)
    {
        _minimum = minimum;
        _output = output;
        _ownsOutput = true;
        _alerts = alerts;
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
        if (_ownsOutput)
        {
            lock (_gate)
            {
                _output.Dispose();
            }
        }
    }

    private void Write(LogLevel level, string category, string message, Exception? error)
    {
        // Messages name keys and paths from the bucket: control characters in them are escaped (as `ls -b`), so a
        // log line stays one line and cannot drive the terminal that shows it.
        var line = PrintableNames.EscapeControls(
            $"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {level.ToString().ToUpperInvariant()[..4]} {category}: {message}{(error is null ? "" : " | " + error.Message)}");
        lock (_gate)
        {
            _output.WriteLine(line);
        }

        if (level >= LogLevel.Warning)
        {
            _alerts?.Invoke(level, line);
        }
    }

    private sealed class Logger(SimpleLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= provider._minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                provider.Write(logLevel, category, formatter(state, exception), exception);
            }
        }
    }
}
