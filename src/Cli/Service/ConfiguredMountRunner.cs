using BucketMount.Backends.Remotes;
using BucketMount.Cli.Commands;
using BucketMount.Cli.Configuration;
using BucketMount.Cli.Control;
using BucketMount.Cli.Mounting;
using BucketMount.Engine;
using BucketMount.Engine.Hosting;
using BucketMount.Hosting;
using Microsoft.Extensions.Logging;

namespace BucketMount.Cli.Service;

/// <summary>
/// Mounts a configured mount as `bucketmount mount REMOTE MOUNTPOINT OPTIONS…` would (the same option parser and
/// defaults), in this process, with the service's loggers.
/// </summary>
internal sealed class ConfiguredMountRunner(ILoggerFactory loggers) : IMountRunner
{
    public async Task<IRunningMount> StartAsync(ConfiguredMount mount, CancellationToken cancellationToken)
    {
        var settings = new MountSettings();
        var parse = MountCommand.Create(settings).Parse([.. mount.MountArguments().Skip(1)]);
        if (parse.Errors.Count > 0)
        {
            throw new ArgumentException($"the options of '{mount.Name}' are not what `bucketmount mount` accepts: {string.Join("; ", parse.Errors.Select(e => e.Message))}");
        }

        var (remote, credentials) = RemoteConfig.Resolve(mount.Remote);
        var options = new MountedBucketOptions { Engine = settings.Engine(parse, remote), Host = settings.HostFactory(parse, loggers), Credentials = credentials, Loggers = loggers };
        var bucket = await MountedBucket.MountAsync(remote.ToString(), mount.MountPoint, options, cancellationToken);
        return new RunningMount(bucket);
    }

    private sealed class RunningMount(MountedBucket bucket) : IRunningMount
    {
        private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

        public string MountPoint => bucket.MountPoint;

        public Task Stopped => bucket.Stopped;

        public MountStatus Status() => SessionControlTarget.StatusOf(bucket.Remote.ToString(), bucket.MountPoint, bucket.Engine, _clock.Elapsed);

        public void SetUploadsPaused(bool paused)
        {
            if (paused)
            {
                bucket.Engine.PauseUploads();
            }
            else
            {
                bucket.Engine.ResumeUploads();
            }
        }

        public Task FlushAsync(Action<string> progress, CancellationToken cancellationToken) =>
            bucket.WaitForUploadsAsync(new Progress<Engine.Diagnostics.UploadProgress>(p => progress($"{bucket.MountPoint}: {SessionControlTarget.UploadProgressText(p)}")), cancellationToken);

        public async Task<(int ExitCode, string Message)> StopAsync(bool force, Action<string> progress, CancellationToken cancellationToken)
        {
            try
            {
                var result = await bucket.UnmountAsync(new Progress<Engine.Diagnostics.UploadProgress>(p => progress($"{bucket.MountPoint}: {SessionControlTarget.UploadProgressText(p)}")), force, cancellationToken);
                return result.Complete
                    ? (0, $"Unmounted {bucket.MountPoint}: every change is in the store.")
                    : (1, $"Unmounted {bucket.MountPoint}; left in the cache's journal for the next mount: {string.Join(", ", result.LeftInJournal.Select(c => c.ToString()).Concat(result.Dropped))}.");
            }
            catch (FileSystemException e)
            {
                return (1, UnmountText.Failed(bucket.MountPoint, bucket.Engine.Options.CacheDirectory, e.Message));
            }
        }
    }
}
