using System.Diagnostics;
using BucketMount.Engine.Hosting;
using BucketMount.Hosting;

namespace BucketMount.Cli.Mounting;

/// <summary>
/// The unmount progress line on the mount's own terminal (rewritten in place), also passed to whoever asked for the
/// unmount over the control socket.
/// </summary>
internal sealed class UnmountProgressLine(TextWriter output, Action<string> relay) : IProgress<DrainProgress>
{
    /// <summary>A log (a background mount's, or a container's) gets a whole line this often, not a line rewritten in place.</summary>
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(5);

    private readonly bool _terminal = !Console.IsErrorRedirected;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _lastLogged = -LogInterval;
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
            if (_terminal)
            {
                output.Write($"\r  {line}   ");
            }
            else if (_clock.Elapsed - _lastLogged >= LogInterval)
            {
                _lastLogged = _clock.Elapsed;
                output.WriteLine($"  {line}");
            }
        }

        relay(line);
    }

    public void Finish(string message)
    {
        lock (output)
        {
            if (_terminal)
            {
                output.WriteLine();
            }

            output.WriteLine(message);
        }
    }
}
