using System.Diagnostics;
using System.Runtime.InteropServices;
using BucketMount.Backends;
using BucketMount.Backends.Remotes;
using BucketMount.Engine;
using BucketMount.Engine.Diagnostics;
using BucketMount.Fuse;

namespace BucketMount.Cli.Mounting;

/// <summary>
/// A running mount: store, engine, FUSE host and control socket. It ends on SIGINT/SIGTERM, an unmount request
/// on the control socket, or an unmount from outside; then it detaches the mount, uploads everything pending
/// with a live progress line, and releases the cache.
/// </summary>
internal sealed class MountSession : IAsyncDisposable
{
    private readonly TaskCompletionSource<bool> _stop = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<int> _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _force;
    private readonly IObjectStore _store;
    private readonly MountEngine _engine;
    private readonly ControlServer _control;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private FuseMountHost _host = null!;

    private MountSession(RemoteUri remote, IObjectStore store, MountEngine engine, string mountPoint)
    {
        Remote = remote;
        _store = store;
        _engine = engine;
        MountPoint = mountPoint;

        // Listening before the kernel sees the mount: whoever sees the mount can already ask for status or unmount.
        _control = ControlServer.Start(mountPoint, this);
    }

    public RemoteUri Remote { get; }

    public string MountPoint { get; }

    public MountEngine Engine => _engine;

    public TimeSpan Uptime => _clock.Elapsed;

    /// <summary>Connects to the store (failing fast on a wrong endpoint, credentials or bucket), starts the engine and mounts.</summary>
    public static async Task<MountSession> StartAsync(RemoteUri remote, string mountPoint, EngineOptions engineOptions, FuseMountOptions fuseOptions, CancellationToken cancellationToken)
    {
        FuseLibrary.EnsureAvailable();
        RequireEmptyDirectory(mountPoint);
        var store = ObjectStoreFactory.Create(remote);
        try
        {
            await ProbeAsync(store, remote, cancellationToken);
            var engine = MountEngine.Start(store, engineOptions);
            var session = new MountSession(remote, store, engine, Path.GetFullPath(mountPoint));
            try
            {
                session._host = FuseMountHost.Mount(engine, mountPoint, fuseOptions);
                return session;
            }
            catch
            {
                session._control.Dispose();
                await engine.ShutdownAsync(null, CancellationToken.None);
                throw;
            }
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    /// <summary>Completes with the exit code once the session has shut down.</summary>
    public Task<int> Finished => _finished.Task;

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
        await Task.WhenAny(_stop.Task, _host.Stopped);
        var code = await ShutdownAsync();
        _finished.TrySetResult(code);
        return code;
    }

    private async Task<int> ShutdownAsync()
    {
        _host.Unmount();
        if (_force)
        {
            Console.Error.WriteLine($"Unmounted {MountPoint} without waiting for uploads (--force); pending ones finish at the next mount of this cache.");
            return 0;
        }

        Console.Error.WriteLine($"Unmounted {MountPoint}; uploading what is pending…");
        using var progress = new ProgressLine(Console.Error);
        try
        {
            await _engine.ShutdownAsync(progress, CancellationToken.None);
            progress.Finish("all changes are in the store.");
            return 0;
        }
        catch (FileSystemException e)
        {
            progress.Finish("some uploads failed: " + e.Message + " They stay in the cache's journal and are retried at the next mount.");
            return 1;
        }
    }

    public EngineStatistics Statistics() => _engine.GetStatistics();

    public async ValueTask DisposeAsync()
    {
        _control.Dispose();
        await _store.DisposeAsync();
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        RequestStop();
    }

    private static void RequireEmptyDirectory(string mountPoint)
    {
        if (!Directory.Exists(mountPoint))
        {
            throw new ArgumentException($"the mount point '{mountPoint}' does not exist: create it first (mkdir -p {mountPoint}).");
        }

        if (Directory.EnumerateFileSystemEntries(mountPoint).Any())
        {
            throw new ArgumentException($"the mount point '{mountPoint}' is not empty or is already mounted: use an empty directory.");
        }
    }

    /// <summary>One cheap listing so a wrong endpoint, credentials or bucket fails the mount now, not at the first ls.</summary>
    private static async Task ProbeAsync(IObjectStore store, RemoteUri remote, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            await foreach (var _ in store.ListAsync("", "/", timeout.Token))
            {
                break;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ObjectStoreException(ObjectStoreErrorKind.Transient, "the store did not answer within 60 s: check the endpoint and the network.", remote.ToString());
        }
    }

    /// <summary>The unmount progress line: files and bytes left, uploaded so far, and the rate.</summary>
    private sealed class ProgressLine(TextWriter output) : IProgress<UploadProgress>, IDisposable
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

        public void Dispose()
        {
        }
    }
}
