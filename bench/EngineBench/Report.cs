using System.Globalization;
using System.Text;

namespace BucketMount.Bench;

internal static class Report
{
    public static string Markdown(List<BenchResult> results, BenchSettings settings, long peakWorkingSet)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Store: {settings.Remote ?? "local folder"}, {settings.SizeMiB} MiB, latency {settings.LatencyMs} ms, {settings.Repeat} runs (median)");
        text.AppendLine();
        text.AppendLine("| workload | MB/s (median) | min..max MB/s | requests (last run) |");
        text.AppendLine("| --- | --- | --- | --- |");
        foreach (var group in results.GroupBy(r => r.Workload))
        {
            var rates = group.Select(r => r.Bytes / 1e6 / Math.Max(r.Time.TotalSeconds, 1e-9)).Order().ToList();
            var median = rates[rates.Count / 2];
            text.AppendLine(CultureInfo.InvariantCulture, $"| {group.Key} | {median:F0} | {rates[0]:F0}..{rates[^1]:F0} | {group.Last().Requests} |");
        }

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Peak working set of the process: {peakWorkingSet / (1024 * 1024)} MiB (includes the {settings.SizeMiB} MiB test buffer).");
        return text.ToString();
    }
}
