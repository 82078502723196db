using System.Text;
using BucketMount.Cli.Control;

namespace BucketMount.Cli.Mounting;

/// <summary>The human-readable status of one mount.</summary>
internal static class StatusText
{
    public static string Format(MountStatus status)
    {
        var s = status.Statistics;
        var text = new StringBuilder();
        text.AppendLine($"{status.MountPoint}  <-  {status.Remote}   (pid {status.Pid}, up {TimeSpan.FromSeconds(status.UptimeSeconds):d\\.hh\\:mm\\:ss})");
        text.AppendLine($"  cache: {status.CacheDirectory}; memory {Mb(s.MemoryCacheHeldBytes)}/{Mb(s.MemoryCacheBudget)} MB ({Mb(s.MemoryCacheBytes)} MB cached, the rest being fetched or spare), disk {Mb(s.DiskCacheBytes)}/{Mb(s.DiskCacheBudget)} MB, hits {s.MemoryCacheHits}, misses {s.MemoryCacheMisses}, {s.FilesFetchedAhead} small files fetched ahead of readers");
        text.AppendLine($"  files: {s.OpenFiles} open, {s.DirtyFiles} dirty ({Mb(s.DirtyBytes)} MB); uploads: {s.PendingUploads} pending, {s.FailingUploads} failing, {s.UploadsDone} done ({s.StreamedUploads} sent while written), {s.Conflicts} conflicts");
        if (status.UploadsPaused)
        {
            text.AppendLine("  uploads paused: closed files wait in the cache's journal (resume, flush or unmount sends them)");
        }

        if (s.LeftoverUploadsDiscarded > 0)
        {
            text.AppendLine($"  recovery: the parts of {s.LeftoverUploadsDiscarded} upload(s) a crash interrupted were discarded");
        }

        text.AppendLine($"  requests: {s.Store}; throughput up {status.UploadMegabytesPerSecond:F2} MB/s, down {status.DownloadMegabytesPerSecond:F2} MB/s");
        foreach (var error in s.LastErrors.TakeLast(5))
        {
            text.AppendLine("  error: " + error);
        }

        return text.ToString().TrimEnd();
    }

    private static string Mb(long bytes) => (bytes / 1e6).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
}
