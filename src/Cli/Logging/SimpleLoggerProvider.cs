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
    private readonly string? _file;
    private readonly long _maxBytes;
    private readonly bool _ownsOutput;
    private readonly Action<LogLevel, string>? _alerts;
    private TextWriter _output;
    private long _written;

    public SimpleLoggerProvider(LogLevel minimum, string? file, long maxFileBytes = 0)
    {
        _minimum = minimum;
        _maxBytes = maxFileBytes;
        if (file is null)
        {
            _output = Console.Error;
        }
        else
        {
            _file = Path.GetFullPath(file);
            Directory.CreateDirectory(Path.GetDirectoryName(_file)!);
            _output = Open(_file, out _written);
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

    private static StreamWriter Open(string file, out long length)
    {
        var stream = new FileStream(file, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        length = stream.Length;
        return new StreamWriter(stream) { AutoFlush = true };
    }

    /// <summary>FILE -> FILE.1 -> FILE.2 ...; the oldest beyond <see cref="KeptFiles"/> is dropped. Called under the lock.</summary>
    private void Rotate()
    {
        _output.Dispose();
        try
        {
            File.Delete($"{_file}.{KeptFiles}");
            for (var i = KeptFiles - 1; i >= 1; i--)
            {
                if (File.Exists($"{_file}.{i}"))
                {
                    File.Move($"{_file}.{i}", $"{_file}.{i + 1}");
                }
            }

            File.Move(_file!, $"{_file}.1");
        }
        catch (IOException)
        {
            // Another process holds or moved the files: keep appending rather than lose lines.
        }

        _output = Open(_file!, out _written);
    }

    private void Write(LogLevel level, string category, string message, Exception? error)
    {
        // Messages name keys and paths from the bucket: control characters in them are escaped (as `ls -b`), so a
        // log line stays one line and cannot drive the terminal that shows it.
        var line = PrintableNames.EscapeControls(
            $"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {level.ToString().ToUpperInvariant()[..4]} {category}: {message}{(error is null ? "" : " | " + error.Message)}");
        lock (_gate)
        {
            if (_maxBytes > 0 && _file is not null && _written >= _maxBytes)
            {
                Rotate();
            }

            _output.WriteLine(line);
            _written += System.Text.Encoding.UTF8.GetByteCount(line) + 1;
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
