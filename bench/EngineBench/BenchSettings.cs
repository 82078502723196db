using System.Globalization;

namespace BucketMount.Bench;

internal sealed record BenchSettings(string? Remote, int SizeMiB, int LatencyMs, int Repeat, long? DiskCacheMiB)
{
    public static BenchSettings Parse(string[] args)
    {
        string? remote = null;
        int size = 256, latency = 0, repeat = 3;
        long? diskCache = null;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var value = args[i + 1];
            switch (args[i])
            {
                case "--remote": remote = value; break;
                case "--size-mib": size = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--latency-ms": latency = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--repeat": repeat = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--disk-cache-mib": diskCache = long.Parse(value, CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown option {args[i]}; use --remote, --size-mib, --latency-ms, --repeat, --disk-cache-mib");
            }
        }

        return new BenchSettings(remote, size, latency, repeat, diskCache);
    }
}
