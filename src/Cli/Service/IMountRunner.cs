using BucketMount.Cli.Configuration;
using BucketMount.Cli.Control;

namespace BucketMount.Cli.Service;

/// <summary>How the service starts one configured mount (the real one mounts through Dokan; tests use fakes).</summary>
internal interface IMountRunner
{
    /// <summary>Mounts; throws when it cannot (see <see cref="MountSupervisor.IsTransient"/> for which failures are retried).</summary>
    Task<IRunningMount> StartAsync(ConfiguredMount mount, CancellationToken cancellationToken);
}

/// <summary>One mount the service holds.</summary>
internal interface IRunningMount
{
    string MountPoint { get; }

    /// <summary>Completes when the file system went away by itself (unmounted from outside, the driver restarted).</summary>
    Task Stopped { get; }

    MountStatus Status();

    void SetUploadsPaused(bool paused);

    Task FlushAsync(Action<string> progress, CancellationToken cancellationToken);

    /// <summary>Uploads what is pending (unless forced), then unmounts: 0 and a message when every change is in the store.</summary>
    Task<(int ExitCode, string Message)> StopAsync(bool force, Action<string> progress, CancellationToken cancellationToken);
}
