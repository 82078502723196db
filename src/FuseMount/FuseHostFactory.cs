using BucketMount.Engine;
using BucketMount.Engine.Hosting;
using BucketMount.Engine.Namespace;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BucketMount.Fuse;

/// <summary>Mounts engines through FUSE (Linux): an empty directory as the mount point, Linux names.</summary>
public sealed class FuseHostFactory(FuseMountOptions options, ILoggerFactory? loggers = null) : IMountHostFactory
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

    public IMountHost Mount(MountEngine engine, string mountPoint)
    {
        var logger = (loggers ?? NullLoggerFactory.Instance).CreateLogger("BucketMount.Fuse");
        FuseErrorLog.Use(logger);
        FuseTrace.Use(logger);

        // Before the first request: each open file holds a descriptor, and running out showed as EMFILE to programs.
        if (FileDescriptorLimit.RaiseSoftToHard() is { } raised)
        {
            logger.LogInformation("Raised the open-file limit from {Before} to {After} (the hard limit): each open file of the mount holds a descriptor.", raised.Before, raised.After);
        }

        return FuseMountHost.Mount(engine, mountPoint, options);
    }
}
