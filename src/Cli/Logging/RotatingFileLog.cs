namespace BucketMount.Cli.Logging;

/// <summary>
/// A log file that never grows past a size, as logrotate would keep it: at the limit NAME becomes NAME.1 (older ones
/// move up to NAME.N, the oldest is dropped) and a new NAME starts. Used by every log file: a mount's --log-file and
/// the service's log, which run for months. A limit of 0 never rotates.
/// </summary>
internal sealed class RotatingFileLog : TextWriter
{
    private readonly Lock _gate = new();
    private readonly string _path;
    private readonly long _limit;
    private readonly int _keep;
    private StreamWriter _writer;
    private long _written;

    public RotatingFileLog(string path, long limitBytes, int keep)
    {
        _path = Path.GetFullPath(path);
        _limit = limitBytes;
        _keep = keep;
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        _writer = Open(out _written);
    }

    public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

    public override void Write(char value) => WriteLine(value.ToString());

    public override void WriteLine(string? value)
    {
        lock (_gate)
        {
            if (_limit > 0 && _written >= _limit)
            {
                Rotate();
            }

            _writer.WriteLine(value);
            _written += System.Text.Encoding.UTF8.GetByteCount(value ?? "") + 1;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_gate)
            {
                _writer.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    /// <summary>NAME -> NAME.1 -> NAME.2 ...; called under the lock.</summary>
    private void Rotate()
    {
        _writer.Dispose();
        try
        {
            File.Delete($"{_path}.{_keep}");
            for (var i = _keep - 1; i >= 1; i--)
            {
                if (File.Exists($"{_path}.{i}"))
                {
                    File.Move($"{_path}.{i}", $"{_path}.{i + 1}");
                }
            }

            File.Move(_path, _path + ".1");
        }
        catch (IOException)
        {
            // Another process holds or moved the files: keep appending rather than lose lines.
        }

        _writer = Open(out _written);
    }

    private StreamWriter Open(out long length)
    {
        var stream = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        length = stream.Length;
        return new StreamWriter(stream) { AutoFlush = true };
    }
}
