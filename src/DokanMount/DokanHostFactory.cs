using BucketMount.Engine;
using BucketMount.Engine.Hosting;
using BucketMount.Engine.Namespace;
using Microsoft.Extensions.Logging;

namespace BucketMount.Dokan;

/// <summary>Mounts engines through Dokan (Windows): drive letters or empty folders, Windows names, case-insensitive lookups.</summary>
public sealed class DokanHostFactory(DokanMountOptions options, ILoggerFactory? loggers = null) : IMountHostFactory
{
    public NamePlatform Platform => NamePlatform.Windows;

    public void EnsureAvailable()
    {
        options.Validate();
        DokanLibrary.EnsureAvailable();
    }

    public string PrepareMountPoint(string mountPoint)
    {
        var parsed = DokanMountTarget.Parse(mountPoint);
        options.ValidateFor(parsed);
        return parsed;
    }

    public EngineOptions Configure(EngineOptions engineOptions) => engineOptions with
    {
        CaseInsensitive = !options.CaseSensitive,
        ReadOnly = engineOptions.ReadOnly || options.ReadOnly,
    };

    public IMountHost Mount(MountEngine engine, string mountPoint) =>
        DokanMountHost.Mount(engine, mountPoint, options, loggers?.CreateLogger("BucketMount.Dokan"));
}
