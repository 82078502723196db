using System.Globalization;
using BucketMount.Backends;
using BucketMount.Engine;
using BucketMount.Engine.Hosting;
using BucketMount.Hosting;

namespace BucketMount.Cli.Mounting;

/// <summary>What unmount tells the user, in one place: what is in the store, who still uses the mount, what stays where.</summary>
internal static class UnmountText
{
    private const int MaxNames = 10;

    public static string Detached(string mountPoint, IReadOnlyList<MountHolder> holders)
    {
        if (holders.Count == 0)
        {
            return $"Unmounted {mountPoint}: every change is in the store.";
        }

        var pids = string.Join(' ', holders.Select(h => h.ProcessId.ToString(CultureInfo.InvariantCulture)));
        return $"Every change is in the store and {mountPoint} is detached, but {holders.Count} program(s) still use it: " +
               $"{Names(holders.Select(h => h.ToString()).ToList())}. They keep working there, and bucketmount (pid {Environment.ProcessId}) " +
               $"keeps serving them and uploads what they write until they leave, then exits. To end them now: kill {pids} " +
               $"(or `bucketmount unmount --force {mountPoint}`: their unfinished changes are then lost).";
    }

    public static string Failed(string mountPoint, string cacheDirectory, string error) =>
        $"Unmounted {mountPoint}, but not everything is in the store: {error} " +
        $"What was not uploaded stays in the cache's journal at {cacheDirectory}; the next mount with that cache directory uploads it.";

    public static string Abandoned(string mountPoint, string cacheDirectory, UnmountResult result)
    {
        var text = $"Unmounted {mountPoint} without waiting (forced).";
        if (result.Complete)
        {
            return text + " Nothing was pending: every change is in the store.";
        }

        if (result.LeftInJournal.Count > 0)
        {
            var megabytes = result.LeftInJournal.Sum(c => c.Size) / 1e6;
            text += $" NOT in the store: {result.LeftInJournal.Count} closed file(s), {megabytes.ToString("F1", CultureInfo.InvariantCulture)} MB, " +
                    $"kept only in the cache's journal at {cacheDirectory} (the next mount with that cache directory uploads them; " +
                    $"they are lost if it is deleted): {Names(result.LeftInJournal.Select(c => c.Path).ToList())}.";
        }

        if (result.Dropped.Count > 0)
        {
            text += $" Lost: the unfinished changes of {result.Dropped.Count} file(s) still open for writing: {Names(result.Dropped)}.";
        }

        if (result.StillInUse.Count > 0)
        {
            text += $" Programs still inside lose the mount: {Names(result.StillInUse.Select(h => h.ToString()).ToList())}.";
        }

        return text;
    }

    /// <summary>The live line while unmount waits: what is left, and which files programs are still writing.</summary>
    public static string Progress(DrainProgress progress, double megabytesPerSecond, TimeSpan? eta = null)
    {
        var uploads = progress.Uploads;
        var line = $"{uploads.FilesPending} file(s), {(uploads.BytesPending / 1e6).ToString("F1", CultureInfo.InvariantCulture)} MB left; " +
                   $"{uploads.FilesUploaded} uploaded; {megabytesPerSecond.ToString("F1", CultureInfo.InvariantCulture)} MB/s";
        if (eta is { } remaining)
        {
            line += remaining.TotalHours >= 1 ? $"; about {remaining.TotalHours.ToString("F1", CultureInfo.InvariantCulture)} h left"
                : remaining.TotalMinutes >= 1 ? $"; about {(int)remaining.TotalMinutes} min {remaining.Seconds} s left"
                : $"; about {Math.Ceiling(remaining.TotalSeconds).ToString(CultureInfo.InvariantCulture)} s left";
        }
        if (uploads.StoreUnreachable)
        {
            line += $"; the store is unreachable ({uploads.LastError ?? "no answer"}): retrying until it answers (a second Ctrl+C or `unmount --force` stops waiting)";
        }

        if (progress.BeingWritten.Count > 0)
        {
            line += $"; waiting for {progress.BeingWritten.Count} file(s) still being written to be closed: {Names(progress.BeingWritten.Select(c => c.Path).ToList())}";
        }

        return line;
    }

    /// <summary>File and program names as `ls -b` shows them: a name is the bucket's (or a program's) to choose, the terminal is not.</summary>
    private static string Names(IReadOnlyList<string> names) =>
        names.Count <= MaxNames
            ? string.Join(", ", names.Select(PrintableNames.Escape))
            : string.Join(", ", names.Take(MaxNames).Select(PrintableNames.Escape)) + $" and {names.Count - MaxNames} more";
}
