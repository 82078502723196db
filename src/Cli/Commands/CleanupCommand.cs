using System.CommandLine;
using System.Globalization;
using BucketMount.Backends;
using BucketMount.Backends.Maintenance;

namespace BucketMount.Cli.Commands;

/// <summary>
/// `cleanup`: discards the parts of multipart uploads nobody will finish (a sandbox destroyed with its cache while a
/// large file was uploading). A mount does this for its own crashes at start; this is for the rest.
/// </summary>
internal static class CleanupCommand
{
    public static Command Create()
    {
        var remote = RemoteArgument.Create();
        var olderThan = OptionValues.Create(
            "--older-than-hours",
            "Only uploads begun at least this many hours ago: newer ones may still be running on another machine.",
            OptionValues.Amount("--older-than-hours", "hours", "24 or 0.5", TimeSpan.MaxValue.TotalHours / 2),
            () => 24.0);
        var dryRun = new Option<bool>("--dry-run") { Description = "List what would be discarded, discard nothing." };
        var command = new Command("cleanup", "Discard the parts of unfinished multipart uploads under a remote (billed, invisible), as rclone cleanup does.")
        {
            remote, olderThan, dryRun,
        };
        command.SetAction((parse, ct) => RemoteArgument.RunAsync(parse.GetValue(remote), async (store, _) =>
        {
            var hours = parse.GetValue(olderThan);
            if (!(hours >= 0))
            {
                await Console.Error.WriteLineAsync($"bucketmount: --older-than-hours must be 0 or more, not {hours.ToString(CultureInfo.InvariantCulture)}.");
                return 2;
            }

            return await RunAsync(store, TimeSpan.FromHours(hours), parse.GetValue(dryRun), ct);
        }));
        return command;
    }

    private static async Task<int> RunAsync(IObjectStore store, TimeSpan olderThan, bool dryRun, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<CleanupAction, int>();
        try
        {
            await foreach (var result in UnfinishedUploadCleanup.RunAsync(store, "", olderThan, dryRun, DateTimeOffset.UtcNow, cancellationToken))
            {
                counts[result.Action] = counts.GetValueOrDefault(result.Action) + 1;
                var verb = result.Action switch
                {
                    CleanupAction.Aborted => "discarded",
                    CleanupAction.WouldAbort => "would discard",
                    _ => "kept (recent)",
                };
                Console.WriteLine($"{verb,-14} {result.Upload.Initiated.UtcDateTime:yyyy-MM-dd HH:mm:ss}  {result.Upload.Key}");
            }
        }
        catch (ObjectStoreException e) when (e.Kind == ObjectStoreErrorKind.NotSupported)
        {
            await Console.Error.WriteLineAsync($"bucketmount: cannot list unfinished multipart uploads: {PrintableNames.EscapeControls(e.Message)} " +
                "A lifecycle rule on the bucket (AbortIncompleteMultipartUpload) removes them instead.");
            return 2;
        }

        var found = counts.Values.Sum();
        Console.WriteLine(found == 0
            ? $"No unfinished uploads under {store.Description}."
            : $"{counts.GetValueOrDefault(CleanupAction.Aborted)} discarded, {counts.GetValueOrDefault(CleanupAction.WouldAbort)} would be (dry run), " +
              $"{counts.GetValueOrDefault(CleanupAction.KeptAsRecent)} begun less than {olderThan.TotalHours.ToString(CultureInfo.InvariantCulture)} h ago kept.");
        return 0;
    }
}
