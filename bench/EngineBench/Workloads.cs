using System.Diagnostics;
using BucketMount.Backends;
using BucketMount.Engine;

namespace BucketMount.Bench;

internal sealed record BenchResult(string Workload, TimeSpan Time, long Bytes, StoreCountersSnapshot Requests);

/// <summary>The workloads: the same bytes written and read directly and through the engine.</summary>
internal static class Workloads
{
    private const int Chunk = 1024 * 1024;

    public static async Task<List<BenchResult>> RunAsync(IObjectStore store, byte[] data, string cacheRoot, BenchSettings settings)
    {
        var results = new List<BenchResult>();
        var ct = CancellationToken.None;
        results.Add(await MeasureAsync("direct write (multipart)", store, data.Length, () =>
            store.UploadAsync("bench/direct.bin", new MemoryUploadSource(data), new UploadOptions { PartSize = 8 * Chunk }, ct)));
        results.Add(await MeasureAsync("direct read (one stream)", store, data.Length, () =>
            store.ReadToAsync("bench/direct.bin", 0, null, Stream.Null, null, ct)));

        var options = new EngineOptions { CacheDirectory = Path.Combine(cacheRoot, "a") };
        if (settings.DiskCacheMiB is { } diskCache)
        {
            options = options with { DiskCacheBytes = diskCache * 1024 * 1024 };
        }

        var engine = MountEngine.Start(store, options);
        if (await engine.TryGetAttributesAsync("/bench", ct) is null)
        {
            await engine.CreateDirectoryAsync("/bench", ct);
        }

        results.Add(await MeasureAsync("engine write, until close", store, data.Length, async () =>
        {
            await using var handle = await engine.OpenAsync("/bench/engine.bin", OpenFlags.Write | OpenFlags.Create, ct);
            for (var offset = 0; offset < data.Length; offset += Chunk)
            {
                await handle.WriteAsync(offset, data.AsMemory(offset, Math.Min(Chunk, data.Length - offset)), ct);
            }
        }));
        results.Add(await MeasureAsync("engine upload after close", store, data.Length, () => engine.WaitForUploadsAsync(null, ct)));
        await engine.ShutdownAsync(null, ct);

        engine = MountEngine.Start(store, options with { CacheDirectory = Path.Combine(cacheRoot, "b") });
        results.Add(await MeasureAsync("engine cold sequential read", store, data.Length, () => ReadAllAsync(engine, "/bench/engine.bin")));
        results.Add(await MeasureAsync("engine warm re-read", store, data.Length, () => ReadAllAsync(engine, "/bench/engine.bin")));
        await engine.ShutdownAsync(null, ct);
        await store.DeleteManyAsync(["bench/direct.bin", "bench/engine.bin", "bench/"], ct);
        return results;
    }

    private static async Task ReadAllAsync(MountEngine engine, string path)
    {
        var buffer = new byte[Chunk];
        await using var handle = await engine.OpenAsync(path, OpenFlags.Read, CancellationToken.None);
        long offset = 0;
        int read;
        while ((read = await handle.ReadAsync(offset, buffer, CancellationToken.None)) > 0)
        {
            offset += read;
        }
    }

    private static async Task<BenchResult> MeasureAsync(string name, IObjectStore store, long bytes, Func<Task> work)
    {
        var before = store.Counters.Snapshot();
        var clock = Stopwatch.StartNew();
        await work();
        clock.Stop();
        return new BenchResult(name, clock.Elapsed, bytes, store.Counters.Snapshot().Since(before));
    }
}
