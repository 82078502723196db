using BucketMount.Engine.Namespace;

namespace BucketMount.Engine.Hosting;

/// <summary>
/// One mounted engine as the operating system sees it (a FUSE mount, a Dokan drive). The engine does not know
/// which; <see cref="MountedBucket"/> drives any host through this.
/// </summary>
public interface IMountHost
{
    /// <summary>Where the mount is, as the host reports it (a directory, or a drive such as <c>X:\</c>).</summary>
    string MountPoint { get; }

    /// <summary>Completes once the mount is gone, unmounted here or from outside.</summary>
    Task Stopped { get; }

    /// <summary>Detaches the mount and waits until no host thread calls the engine any more.</summary>
    void Unmount();
}

/// <summary>How one kind of host mounts an engine, and what it needs checked before the store is touched.</summary>
public interface IMountHostFactory
{
    /// <summary>Which names the host's programs can use; decides the engine's reversible name mapping.</summary>
    NamePlatform Platform { get; }

    /// <summary>Fails with a message naming what to install or change when this host cannot work here.</summary>
    void EnsureAvailable();

    /// <summary>Checks and normalizes the mount point (an empty directory, a free drive letter…) before anything starts.</summary>
    string PrepareMountPoint(string mountPoint);

    /// <summary>The host's adjustments to the engine's settings (e.g. case-insensitive names on Windows).</summary>
    EngineOptions Configure(EngineOptions options);

    /// <summary>Mounts the running engine and returns once the operating system shows the mount.</summary>
    IMountHost Mount(MountEngine engine, string mountPoint);
}
