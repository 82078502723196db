using BucketMount.Engine.Namespace;

namespace BucketMount.Engine.Hosting;

/// <summary>
/// One mounted engine as the operating system sees it (a FUSE mount, a Dokan drive). The engine does not know
/// which; BucketMount.Hosting.MountedBucket drives any host through this.
/// </summary>
public interface IMountHost
{
    /// <summary>Where the mount is, as the host reports it (a directory, or a drive such as <c>X:\</c>).</summary>
    string MountPoint { get; }

    /// <summary>
    /// Completes once the host serves no more requests: the mount is gone (detached here or from outside) and the
    /// last program that still used it has let go.
    /// </summary>
    Task Stopped { get; }

    /// <summary>
    /// Removes the mount from the directory tree. When programs still use it (a shell's working directory, an open
    /// file), it is detached lazily: they keep working in it and the host keeps serving them until they let go, then
    /// <see cref="Stopped"/> completes. Returns those programs; empty when the mount was free.
    /// </summary>
    IReadOnlyList<MountHolder> Detach();

    /// <summary>
    /// Ends the host. Once <see cref="Stopped"/>, handles the programs closed are released to the engine as closed.
    /// A handle with writes its program never closed (a forced unmount, a connection cut from outside) is not: its
    /// changes are dropped rather than uploaded as if complete, and its path is returned.
    /// </summary>
    IReadOnlyList<string> Close();
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
