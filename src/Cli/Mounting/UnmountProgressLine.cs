using System.Diagnostics;
using BucketMount.Engine.Hosting;
using BucketMount.Hosting;

namespace BucketMount.Cli.Mounting;

/// <summary>
/// The unmount progress line on the mount's own terminal (rewritten in place), also passed to whoever asked for the
/// unmount over the control socket.
/// </summary>
/// <remarks>
/// The rate counts bytes as they reach the store (<paramref name="storeBytesUploaded"/>, part by part), not as
/// files complete: a 1 GiB multipart upload otherwise showed 0.0 MB/s until its last part. The ETA divides what is
/// left (pending bytes less the parts of unfinished files already sent) by that rate.
/// </remarks>
internal sealed class UnmountProgressLine(TextWriter output, Action<string> relay, Func<long> storeBytesUploaded, Func<TimeSpan>? clock = null) : IProgress<DrainProgress>
{
    /// <summary>A log (a background mount's, or a container's) gets a whole line this often, not a line rewritten in place.</summary>
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(5);

    private readonly bool _terminal = !Console.IsErrorRedirected;
    private readonly Func<TimeSpan> _elapsed = clock ?? StartClock();
    private TimeSpan _lastLogged = -LogInterval;
    private long _firstFilesBytes = -1;
    private long _firstStoreBytes;

    public void Report(DrainProgress value)
    {
        var storeBytes = storeBytesUploaded();
        if (_firstFilesBytes < 0)
        {
            (_firstFilesBytes, _firstStoreBytes) = (value.Uploads.BytesUploaded, storeBytes);
        }

        var sent = storeBytes - _firstStoreBytes;
        var rate = sent / 1e6 / Math.Max(_elapsed().TotalSeconds, 0.001);

        // Bytes of files still uploading that already reached the store: what they no longer need to send.
        var sentOfPending = Math.Max(0, sent - (value.Uploads.BytesUploaded - _firstFilesBytes));
        var left = Math.Max(0, value.Uploads.BytesPending - sentOfPending);
        TimeSpan? eta = rate > 0 && value.Uploads.BytesPending > 0 ? TimeSpan.FromSeconds(left / 1e6 / rate) : null;
        var line = UnmountText.Progress(value, rate, eta);
        lock (output)
        {
            if (_terminal)
            {
                output.Write($"\r  {line}   ");
            }
            else if (_elapsed() - _lastLogged >= LogInterval)
            {
                _lastLogged = _elapsed();
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

    private static Func<TimeSpan> StartClock()
    {
        var watch = Stopwatch.StartNew();
        return () => watch.Elapsed;
    }
}
