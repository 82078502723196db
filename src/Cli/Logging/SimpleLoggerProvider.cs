using BucketMount.Backends;
using Microsoft.Extensions.Logging;

namespace BucketMount.Cli.Logging;

/// <summary>
/// Writes log lines at or above a level to a file (appending) or to standard error. Messages come from typed
/// [LoggerMessage] methods, which never take secrets as arguments.
/// </summary>
internal sealed class SimpleLoggerProvider : ILoggerProvider, ILoggerFactory
{
    private readonly LogLevel _minimum;
    private readonly TextWriter _output;
    private readonly bool _ownsOutput;
    private readonly Action<LogLevel, string>? _alerts;

    public SimpleLoggerProvider(LogLevel minimum, string? file)
    {
        _minimum = minimum;
        if (file is null)
        {
            _output = Console.Error;
        }
        else
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
            _output = new StreamWriter(new FileStream(file, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
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
            _output.Dispose();
        }
    }

    private void Write(LogLevel level, string category, string message, Exception? error)
    {
        // Messages name keys and paths from the bucket: control characters in them are escaped (as `ls -b`), so a
        // log line stays one line and cannot drive the terminal that shows it.
        var line = PrintableNames.EscapeControls(
            $"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {level.ToString().ToUpperInvariant()[..4]} {category}: {message}{(error is null ? "" : " | " + error.Message)}");
        lock (_output)
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
