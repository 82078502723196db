using BucketMount.Backends;
using BucketMount.Backends.Memory;
using Microsoft.Extensions.Logging;

namespace BucketMount.Engine.Tests;

/// <summary>An engine over a store with a fresh cache directory, and helpers to drive it like a program would.</summary>
internal sealed class EngineFixture : IAsyncDisposable
{
    private readonly List<string> _folders = [];

    public EngineFixture(IObjectStore? store = null, Func<EngineOptions, EngineOptions>? configure = null, ILoggerFactory? loggers = null)
    {
        Loggers = loggers;
        Store = store ?? new MemoryObjectStore();
        Configure = configure ?? (o => o);
        CacheDirectory = NewFolder();
        Engine = Start();
    }

    public IObjectStore Store { get; }

    public ILoggerFactory? Loggers { get; }

    public MountEngine Engine { get; private set; }

    public string CacheDirectory { get; private set; }

    public Func<EngineOptions, EngineOptions> Configure { get; }

    public EngineOptions Options(string cacheDirectory) => Configure(new EngineOptions
    {
        CacheDirectory = cacheDirectory,
        WriteBackDelay = TimeSpan.Zero,
        // Unmounts do not wait for directories' metadata indexes to settle (IndexTests set it where it matters).
        IndexSettle = TimeSpan.Zero,
        MemoryCacheBytes = 16L * 1024 * 1024,
        DiskCacheBytes = 64L * 1024 * 1024,
    });

    /// <summary>A fresh engine on the same store with an empty cache, as after moving to a new machine.</summary>
    public async Task RemountAsync(bool keepCache = false)
    {
        await Engine.ShutdownAsync(null, CancellationToken.None);
        if (!keepCache)
        {
            CacheDirectory = NewFolder();
        }

        Engine = Start();
    }

    public async Task WriteFileAsync(string path, byte[] data, CancellationToken cancellationToken = default)
    {
        await using var handle = await Engine.OpenAsync(path, OpenFlags.Write | OpenFlags.Create | OpenFlags.Truncate, cancellationToken);
        await handle.WriteAsync(0, data, cancellationToken);
    }

    public async Task<byte[]> ReadFileAsync(string path, CancellationToken cancellationToken = default)
    {
        await using var handle = await Engine.OpenAsync(path, OpenFlags.Read, cancellationToken);
        var size = (await Engine.GetAttributesAsync(path, cancellationToken)).Size;
        var data = new byte[size];
        var total = 0;
        while (total < data.Length)
        {
            var read = await handle.ReadAsync(total, data.AsMemory(total, (int)Math.Min(1 << 20, data.Length - total)), cancellationToken);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return data[..total];
    }

    public async ValueTask DisposeAsync()
    {
        await Engine.ShutdownAsync(null, CancellationToken.None);
        foreach (var folder in _folders)
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private MountEngine Start() => MountEngine.Start(Store, Options(CacheDirectory), loggers: Loggers);

    private string NewFolder()
    {
        var folder = Directory.CreateTempSubdirectory("bucketmount-engine-").FullName;
        _folders.Add(folder);
        return folder;
    }
}
