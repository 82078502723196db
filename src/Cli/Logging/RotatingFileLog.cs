namespace BucketMount.Cli.Logging;

/// <summary>
/// A log file that never grows past a size: at the limit it becomes NAME.1 (older ones move up to NAME.N, the
/// oldest is dropped) and a new NAME starts. For the service, which runs for months.
/// </summary>
internal sealed class RotatingFileLog : TextWriter
{
    private readonly string _path;
    private readonly long _limit;
    private readonly int _keep;
    private StreamWriter _writer;

    public RotatingFileLog(string path, long limitBytes = 10L << 20, int keep = 5)
    {
        _path = path;
        _limit = limitBytes;
        _keep = keep;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _writer = Open();
    }

    public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

    public override void Write(char value) => WriteLine(value.ToString());

    public override void WriteLine(string? value)
    {
        lock (this)
        {
            if (_writer.BaseStream.Length >= _limit)
            {
                Rotate();
            }

            _writer.WriteLine(value);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _writer.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Rotate()
    {
        _writer.Dispose();
        File.Delete($"{_path}.{_keep}");
        for (var i = _keep - 1; i >= 1; i--)
        {
            if (File.Exists($"{_path}.{i}"))
            {
                File.Move($"{_path}.{i}", $"{_path}.{i + 1}");
            }
        }

        File.Move(_path, _path + ".1");
        _writer = Open();
    }

    private StreamWriter Open() => new(new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
}
