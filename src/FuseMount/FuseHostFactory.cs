using BucketMount.Engine;
using BucketMount.Engine.Hosting;
using BucketMount.Engine.Namespace;

namespace BucketMount.Fuse;

/// <summary>Mounts engines through FUSE (Linux): an empty directory as the mount point, Linux names.</summary>
public sealed class FuseHostFactory(FuseMountOptions options) : IMountHostFactory
{
    public FuseHostFactory()
        : this(new FuseMountOptions())
    {
    }

    public NamePlatform Platform => NamePlatform.Linux;

    public void EnsureAvailable() => FuseLibrary.EnsureAvailable();

    public string PrepareMountPoint(string mountPoint) => MountPoints.RequireEmptyDirectory(mountPoint);

    public EngineOptions Configure(EngineOptions engineOptions) =>
        options.ReadOnly && !engineOptions.ReadOnly ? engineOptions with { ReadOnly = true } : engineOptions;

    public IMountHost Mount(MountEngine engine, string mountPoint) => FuseMountHost.Mount(engine, mountPoint, options);
}
