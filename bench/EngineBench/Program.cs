using System.Diagnostics;
using BucketMount.Backends;
using BucketMount.Backends.Decorators;
using BucketMount.Backends.Remotes;
using BucketMount.Bench;
using BucketMount.Engine;

// engine-bench [--remote URI] [--size-mib N] [--latency-ms N] [--repeat N]
// Measures sequential write (until close, until uploaded) and read (cold, warm) through the engine with default
// settings, against the same store written and read directly, and prints a markdown table with request counts
// and the process's peak memory.
var settings = BenchSettings.Parse(args);
var root = Directory.CreateTempSubdirectory("bucketmount-bench-").FullName;
try
{
    IObjectStore Store()
    {
        var remote = settings.Remote ?? $"file://{Path.Combine(root, "store")}";
        var store = ObjectStoreFactory.Create(RemoteUri.Parse(remote));
        return settings.LatencyMs > 0
            ? new FaultInjectingObjectStore(store, new FaultOptions { Latency = TimeSpan.FromMilliseconds(settings.LatencyMs) })
            : store;
    }

    var data = new byte[settings.SizeMiB * 1024L * 1024];
    new Random(1).NextBytes(data);
    var results = new List<BenchResult>();
    for (var run = 0; run < settings.Repeat; run++)
    {
        results.AddRange(await Workloads.RunAsync(Store(), data, Path.Combine(root, $"cache{run}"), settings));
    }

    Console.WriteLine(Report.Markdown(results, settings, Process.GetCurrentProcess().PeakWorkingSet64));
}
finally
{
    Directory.Delete(root, recursive: true);
}
