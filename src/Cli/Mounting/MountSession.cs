using System.Diagnostics;
using System.Runtime.InteropServices;
using BucketMount.Backends.Remotes;
using BucketMount.Engine;
using BucketMount.Engine.Diagnostics;
using BucketMount.Engine.Hosting;
using BucketMount.Fuse;

namespace BucketMount.Cli.Mounting;

/// <summary>
/// The CLI's running mount: a <see cref="MountedBucket"/> plus its control socket and signal handling. It ends on
/// SIGINT/SIGTERM, an unmount request on the control socket, or an unmount from outside; then it uploads
/// everything pending with a live progress line.
/// </summary>
internal sealed class MountSession : IAsyncDisposable
{
    private readonly TaskCompletionSource<bool> _stop = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<int> _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private ControlServer? _control;
    private MountedBucket _mount = null!;
    private bool _force;

    public RemoteUri Remote => _mount.Remote;

    public string MountPoint => _mount.MountPoint;

    public MountEngine Engine => _mount.Engine;

    public TimeSpan Uptime => _clock.Elapsed;

    /// <summary>Completes with the exit code once the session has shut down.</summary>
    public Task<int> Finished => _finished.Task;

    public static async Task<MountSession> StartAsync(string? remote, string mountPoint, MountedBucketOptions options, CancellationToken cancellationToken)
    {
        var session = new MountSession();

        // Listening before the kernel sees the mount: whoever sees the mount can already ask for status or unmount.
        options = options with { BeforeMount = path => session._control = ControlServer.TryStart(path, session) };
        try
        {
            session._mount = await MountedBucket.MountAsync(remote, mountPoint, options, cancellationToken);
            return session;
        }
        catch
        {
            session._control?.Dispose();
            throw;
        }
    }

    /// <summary>Asks the session to end (as Ctrl+C does); forced, it leaves pending uploads for the next mount.</summary>
    public void RequestStop(bool force = false)
    {
        _force |= force;
        _stop.TrySetResult(true);
    }

    /// <summary>Runs until asked to stop or unmounted from outside, then shuts down cleanly.</summary>
    public async Task<int> RunAsync()
    {
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        await Task.WhenAny(_stop.Task, _mount.Stopped);
        var code = await ShutdownAsync();
        _finished.TrySetResult(code);
        return code;
    }

    public EngineStatistics Statistics() => Engine.GetStatistics();

    public ValueTask DisposeAsync()
    {
        _control?.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<int> ShutdownAsync()
    {
        if (_force)
        {
            await _mount.UnmountAsync(null, force: true, CancellationToken.None);
            Console.Error.WriteLine($"Unmounted {MountPoint} without waiting for uploads (--force); pending ones finish at the next mount of this cache.");
            return 0;
        }

        Console.Error.WriteLine($"Unmounting {MountPoint}; uploading what is pending…");
        var progress = new ProgressLine(Console.Error);
        try
        {
            await _mount.UnmountAsync(progress, force: false, CancellationToken.None);
            progress.Finish("all changes are in the store.");
            return 0;
        }
        catch (FileSystemException e)
        {
            progress.Finish("some uploads failed: " + e.Message + " They stay in the cache's journal and are retried at the next mount.");
            return 1;
        }
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        RequestStop();
    }

    /// <summary>The unmount progress line: files and bytes left, uploaded so far, and the rate.</summary>
    private sealed class ProgressLine(TextWriter output) : IProgress<UploadProgress>
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _firstUploaded = -1;

        public void Report(UploadProgress value)
        {
            if (_firstUploaded < 0)
            {
                _firstUploaded = value.BytesUploaded;
            }

            var rate = (value.BytesUploaded - _firstUploaded) / 1e6 / Math.Max(_clock.Elapsed.TotalSeconds, 0.001);
            lock (output)
            {
                output.Write($"\r  {value.FilesPending} file(s), {value.BytesPending / 1e6:F1} MB left; {value.FilesUploaded} uploaded; {rate:F1} MB/s   ");
            }
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
}
