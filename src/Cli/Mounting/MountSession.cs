using System.Diagnostics;
using System.Runtime.InteropServices;
using BucketMount.Backends.Remotes;
using BucketMount.Cli.Control;
using BucketMount.Engine;
using BucketMount.Engine.Diagnostics;
using BucketMount.Engine.Hosting;
using BucketMount.Fuse;
using BucketMount.Hosting;

namespace BucketMount.Cli.Mounting;

/// <summary>
/// The CLI's running mount: a <see cref="MountedBucket"/> plus its control socket and signal handling. It ends on
/// SIGINT/SIGTERM, an unmount request on the control socket, or an unmount from outside. Then, as a careful user
/// would: it uploads everything pending and waits for files being written while still mounted, detaches (lazily
/// when programs are still inside, serving them until they leave), and uploads what they wrote. A second signal, or
/// a forced unmount, stops the waiting and says exactly what stays where.
/// </summary>
internal sealed class MountSession : IAsyncDisposable
{
    private readonly TaskCompletionSource<bool> _stop = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<int> _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<UnmountOutcome> _detached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<UnmountOutcome> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _force = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private ControlServer? _control;
    private MountedBucket _mount = null!;
    private UnmountOutcome? _lastOutcome;
    private SystemdNotifier? _systemd;

    public RemoteUri Remote => _mount.Remote;

    public string MountPoint => _mount.MountPoint;

    public MountEngine Engine => _mount.Engine;

    public TimeSpan Uptime => _clock.Elapsed;

    /// <summary>Completes with the exit code once the session has shut down.</summary>
    public Task<int> Finished => _finished.Task;

    /// <summary>
    /// Completes once unmounting has gone as far as it can for whoever asked: everything drained and the mount
    /// detached (programs still inside are served on), or given up. What an `unmount` request answers with.
    /// </summary>
    public Task<UnmountOutcome> Detached => _detached.Task;

    /// <summary>Completes once the process is about to exit, with the last word on what is in the store.</summary>
    public Task<UnmountOutcome> Ended => _ended.Task;

    /// <summary>Progress lines while unmount waits, for unmount requests to pass on.</summary>
    public event Action<string>? Progress;

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

    /// <summary>
    /// Asks the session to end (an `unmount` request). Forced, it stops waiting for uploads and programs and leaves
    /// what is pending in the cache's journal; a second plain request just waits along with the first.
    /// </summary>
    public void RequestStop(bool force = false)
    {
        if (force)
        {
            _force.Cancel();
        }

        _stop.TrySetResult(true);
    }

    /// <summary>Runs until asked to stop or unmounted from outside, then shuts down cleanly.</summary>
    public async Task<int> RunAsync()
    {
        using var systemd = _systemd = SystemdNotifier.FromEnvironment();
        systemd?.Ready($"Mounted {UriSecrets.Redact(Remote.ToString())} at {MountPoint}");
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        await Task.WhenAny(_stop.Task, _mount.Stopped);
        var code = await ShutdownAsync();
        var last = _lastOutcome ?? new UnmountOutcome(code, $"Unmounted {MountPoint}.");
        _detached.TrySetResult(last);
        _ended.TrySetResult(last with { ExitCode = code });
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
        var cacheDirectory = Engine.Options.CacheDirectory;
        _systemd?.Stopping($"Unmounting {MountPoint}: uploading what is pending");
        var progress = new UnmountProgressLine(Console.Error, line =>
        {
            _systemd?.Progress(line);
            Progress?.Invoke(line);
        }, () => Engine.GetStatistics().Store.BytesUploaded);
        if (_force.IsCancellationRequested)
        {
            return await AbandonAsync(progress, cacheDirectory);
        }

        Console.Error.WriteLine($"Unmounting {MountPoint}; uploading what is pending (Ctrl+C again to stop waiting)…");

        // Drain while still mounted: a program writing a file must be able to finish it.
        var code = 0;
        try
        {
            await _mount.DrainAsync(progress, _force.Token);
        }
        catch (OperationCanceledException) when (_force.IsCancellationRequested)
        {
            return await AbandonAsync(progress, cacheDirectory);
        }
        catch (FileSystemException e)
        {
            code = Report(progress, 1, UnmountText.Failed(MountPoint, cacheDirectory, e.Message));
        }

        var holders = _mount.Detach();
        if (code == 0)
        {
            Report(progress, 0, UnmountText.Detached(MountPoint, holders));
        }

        try
        {
            var dropped = await _mount.FinishAsync(progress, _force.Token);
            if (dropped.Count > 0)
            {
                return Report(progress, 1, $"The connection to {MountPoint} was cut while files were being written; their unfinished changes were not uploaded: {string.Join(", ", dropped)}.");
            }

            if (holders.Count > 0 && code == 0)
            {
                Report(progress, 0, $"The last program left {MountPoint}: every change is in the store.");
            }

            return code;
        }
        catch (OperationCanceledException) when (_force.IsCancellationRequested)
        {
            return await AbandonAsync(progress, cacheDirectory);
        }
        catch (FileSystemException e)
        {
            return Report(progress, 1, UnmountText.Failed(MountPoint, cacheDirectory, e.Message));
        }
    }

    private async Task<int> AbandonAsync(UnmountProgressLine progress, string cacheDirectory)
    {
        var result = await _mount.AbandonAsync();
        return Report(progress, result.Complete ? 0 : 1, UnmountText.Abandoned(MountPoint, cacheDirectory, result));
    }

    /// <summary>Prints the message and answers unmount requests with it (the first answer counts).</summary>
    private int Report(UnmountProgressLine progress, int code, string message)
    {
        progress.Finish(message);
        _systemd?.Status(message);
        _lastOutcome = new UnmountOutcome(code, message);
        _detached.TrySetResult(_lastOutcome);
        return code;
    }

    /// <summary>Ctrl+C or SIGTERM: the first starts the unmount, a second one while it waits forces it.</summary>
    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        RequestStop(force: _stop.Task.IsCompleted);
    }
}

/// <summary>What an unmount request is answered with: 0 only when every change is in the store.</summary>
internal sealed record UnmountOutcome(int ExitCode, string Message);
