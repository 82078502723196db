using BucketMount.Backends.Remotes;
using BucketMount.Cli.Mounting;
using BucketMount.Engine.Diagnostics;

namespace BucketMount.Cli.Control;

/// <summary>The control channel of one `bucketmount mount` process: its one mount.</summary>
internal sealed class SessionControlTarget(MountSession session) : IControlTarget
{
    public IReadOnlyList<MountStatus> List() => [StatusOf(session.Remote.ToString(), session.MountPoint, session.Engine, session.Uptime)];

    public Task<ControlReply> MountAsync(string mount, CancellationToken cancellationToken) =>
        Task.FromResult(new ControlReply(false, $"this process serves {session.MountPoint} only; mount others with `bucketmount mount` (or the Windows service's `bucketmount mounts add`)."));

    /// <summary>
    /// Answers once the mount is detached (programs still inside are served on; the answer names them), or, forced,
    /// once it has ended.
    /// </summary>
    public async Task<ControlReply> UnmountAsync(string? mount, bool force, Action<string> progress, CancellationToken cancellationToken)
    {
        if (Unknown(mount) is { } refused)
        {
            return refused;
        }

        session.Progress += progress;
        try
        {
            session.RequestStop(force);
            var result = await (force ? session.Ended : session.Detached);
            return new ControlReply(result.ExitCode == 0, result.Message);
        }
        finally
        {
            session.Progress -= progress;
        }
    }

    public ControlReply SetUploadsPaused(string? mount, bool paused)
    {
        if (Unknown(mount) is { } refused)
        {
            return refused;
        }

        if (paused)
        {
            session.Engine.PauseUploads();
        }
        else
        {
            session.Engine.ResumeUploads();
        }

        return new ControlReply(true, paused ? $"Uploads from {session.MountPoint} paused (flush or unmount sends them)." : $"Uploads from {session.MountPoint} resumed.");
    }

    public async Task<ControlReply> FlushAsync(string? mount, Action<string> progress, CancellationToken cancellationToken)
    {
        if (Unknown(mount) is { } refused)
        {
            return refused;
        }

        try
        {
            await session.Engine.WaitForUploadsAsync(new Progress<UploadProgress>(p => progress(UploadProgressText(p))), cancellationToken);
            return new ControlReply(true, $"Every change in {session.MountPoint} is in the store.");
        }
        catch (BucketMount.Engine.FileSystemException e)
        {
            return new ControlReply(false, $"Not everything in {session.MountPoint} could be uploaded: {e.Message}");
        }
    }

    /// <summary>One mount's status line for the channel (the remote without secrets).</summary>
    internal static MountStatus StatusOf(string remote, string mountPoint, BucketMount.Engine.MountEngine engine, TimeSpan uptime)
    {
        var statistics = engine.GetStatistics();
        var seconds = Math.Max(uptime.TotalSeconds, 0.001);
        return new MountStatus(UriSecrets.Redact(remote), mountPoint, Environment.ProcessId, uptime.TotalSeconds, engine.Options.CacheDirectory,
            statistics.Store.BytesUploaded / 1e6 / seconds, statistics.Store.BytesDownloaded / 1e6 / seconds, statistics, engine.UploadsPaused);
    }

    internal static string UploadProgressText(UploadProgress progress) =>
        $"{progress.FilesPending} file(s), {progress.BytesPending / 1e6:F1} MB left; {progress.FilesUploaded} uploaded" + (progress.StoreUnreachable ? "; the store does not answer, retrying" : "");

    private ControlReply? Unknown(string? mount) =>
        mount is null || ControlProtocol.SameMount(session.MountPoint, mount) ? null : new ControlReply(false, $"this process serves {session.MountPoint}, not {mount}.");
}
