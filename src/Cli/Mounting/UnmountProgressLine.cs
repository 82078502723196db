using System.Diagnostics;
using BucketMount.Engine.Hosting;

namespace BucketMount.Cli.Mounting;

/// <summary>
/// The unmount progress line on the mount's own terminal (rewritten in place), also passed to whoever asked for the
/// unmount over the control socket.
/// </summary>
internal sealed class UnmountProgressLine(TextWriter output, Action<string> relay) : IProgress<DrainProgress>
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _firstUploaded = -1;

    public void Report(DrainProgress value)
    {
        if (_firstUploaded < 0)
        {
            _firstUploaded = value.Uploads.BytesUploaded;
        }

        var rate = (value.Uploads.BytesUploaded - _firstUploaded) / 1e6 / Math.Max(_clock.Elapsed.TotalSeconds, 0.001);
        var line = UnmountText.Progress(value, rate);
        lock (output)
        {
            output.Write($"\r  {line}   ");
        }

        relay(line);
    }

    public void Finish(string message)
    {
        lock (output)
        {
            output.WriteLine();
            output.WriteLine(message);
        }
    }
}
