using BucketMount.Backends;
using BucketMount.Backends.Remotes;
using BucketMount.Engine.Diagnostics;
using BucketMount.Engine.Namespace;
using Microsoft.Extensions.Logging;

using BucketMount.Engine;
using BucketMount.Engine.Hosting;

namespace BucketMount.Hosting;

/// <summary>What <see cref="MountedBucket.MountAsync"/> needs beyond the remote and the mount point.</summary>
public sealed record MountedBucketOptions
{
    /// <summary>Engine settings; null takes the defaults with a cache directory chosen for the remote.</summary>
    public EngineOptions? Engine { get; init; }

    /// <summary>The host that shows the engine to programs: FUSE on Linux, Dokan on Windows.</summary>
    public required IMountHostFactory Host { get; init; }

    /// <summary>Secrets for the remote; null reads the environment.</summary>
    public RemoteCredentials? Credentials { get; init; }

    public ILoggerFactory? Loggers { get; init; }

    /// <summary>Called from just before the kernel sees the mount, e.g. to start listening for control requests.</summary>
    public Action<string>? BeforeMount { get; init; }
}

/// <summary>
/// A bucket mounted at a directory, for programs that embed bucketmount (a sandbox orchestrator, a test harness):
/// the equivalent of a sandbox SDK's <c>mountBucket()</c>. Disposing it unmounts and uploads everything pending.
/// </summary>
public sealed partial class MountedBucket : IAsyncDisposable
{
    private readonly IObjectStore _store;
    private readonly IMountHost _host;

    private MountedBucket(RemoteUri remote, IObjectStore store, MountEngine engine, IMountHost host)
    {
        Remote = remote;
        _store = store;
        Engine = engine;
        _host = host;
    }

    public RemoteUri Remote { get; }

    public string MountPoint => _host.MountPoint;

    public MountEngine Engine { get; }

    /// <summary>Completes when the mount goes away from outside (fusermount3 -u, umount, dokanctl /u).</summary>
    public Task Stopped => _host.Stopped;

    /// <summary>
    /// Mounts <paramref name="remote"/> (null: the embedded local store) at <paramref name="mountPoint"/>. Fails
    /// before mounting, with a message saying what to fix, when FUSE is missing, the mount point is missing or busy,
    /// or the store is unreachable, refuses the credentials or has no such bucket.
    /// </summary>
    public static async Task<MountedBucket> MountAsync(string? remote, string mountPoint, MountedBucketOptions options, CancellationToken cancellationToken)
    {
        var uri = remote is null ? ObjectStoreFactory.DefaultRemote() : RemoteUri.Parse(remote);
        options.Host.EnsureAvailable();
        mountPoint = options.Host.PrepareMountPoint(mountPoint);
        var store = ObjectStoreFactory.Create(uri, options.Credentials, logger: options.Loggers?.CreateLogger("BucketMount.Store"));
        try
        {
            await ProbeAsync(store, uri, cancellationToken).ConfigureAwait(false);
            var engineOptions = options.Host.Configure(options.Engine ?? new EngineOptions { CacheDirectory = DefaultCacheDirectory(uri) });
            var engine = MountEngine.Start(store, engineOptions, options.Host.Platform, options.Loggers);
            try
            {
                options.BeforeMount?.Invoke(mountPoint);
                return new MountedBucket(uri, store, engine, options.Host.Mount(engine, mountPoint));
            }
            catch
            {
                await engine.ShutdownAsync(null, CancellationToken.None).ConfigureAwait(false);
                throw;
            }
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// One cache directory per remote, so two mounts never share one: under ~/.cache/bucketmount (or
    /// $XDG_CACHE_HOME) on Linux, under %LOCALAPPDATA%\bucketmount\cache on Windows.
    /// </summary>
    public static string DefaultCacheDirectory(RemoteUri remote) =>
        Path.Combine(DefaultCacheRoot, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(remote.ToString())))[..16]);

    /// <summary>The folder holding every default cache directory of this user (the service's: LocalSystem's).</summary>
    public static string DefaultCacheRoot
    {
        get
        {
            if (OperatingSystem.IsWindows())
            {
                return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "bucketmount", "cache");
            }

            var home = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(home, "bucketmount");
        }
    }

    /// <summary>Uploads every closed changed file now and returns when all are in the store; the mount stays.</summary>
    public Task WaitForUploadsAsync(IProgress<UploadProgress>? progress, CancellationToken cancellationToken) =>
        Engine.WaitForUploadsAsync(progress, cancellationToken);

    /// <summary>
    /// Unmounts as a careful user would: uploads everything pending and waits for files being written to be closed
    /// while still mounted (<see cref="DrainAsync"/>), detaches, waits for programs still inside to let go, and
    /// uploads what they wrote meanwhile (<see cref="FinishAsync"/>). Forced, it does none of the waiting and returns
    /// what it left behind. Throws <see cref="FileSystemException"/> when uploads failed for good; they stay journaled.
    /// </summary>
    public async Task<UnmountResult> UnmountAsync(IProgress<UploadProgress>? progress, bool force, CancellationToken cancellationToken)
    {
        if (force)
        {
            return await AbandonAsync().ConfigureAwait(false);
        }

        var drainProgress = progress is null ? null : new DrainToUploadProgress(progress);
        await DrainAsync(drainProgress, cancellationToken).ConfigureAwait(false);
        var holders = Detach();
        var dropped = await FinishAsync(drainProgress, cancellationToken).ConfigureAwait(false);
        return new UnmountResult(holders, [], dropped);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_finished)
        {
            await UnmountAsync(null, force: false, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>One cheap listing, so a wrong endpoint, credentials or bucket fails the mount now, not at the first ls.</summary>
    private static async Task ProbeAsync(IObjectStore store, RemoteUri remote, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            await foreach (var _ in store.ListAsync("", "/", timeout.Token).ConfigureAwait(false))
            {
                break;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ObjectStoreException(ObjectStoreErrorKind.Transient, "the store did not answer within 60 s: check the endpoint and the network.", remote.ToString());
        }
    }
}
