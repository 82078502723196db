namespace BucketMount.Backends.Maintenance;

/// <summary>What the cleanup did with one unfinished upload.</summary>
public enum CleanupAction
{
    /// <summary>Older than the age given: its parts were discarded.</summary>
    Aborted,

    /// <summary>Older than the age given; a dry run only reports it.</summary>
    WouldAbort,

    /// <summary>Begun too recently: it may still be running on some machine, so it is left alone.</summary>
    KeptAsRecent,
}

/// <summary>One unfinished upload seen by the cleanup, and what was done with it.</summary>
public sealed record CleanupResult(UnfinishedPartUpload Upload, CleanupAction Action);

/// <summary>
/// Discards the parts of uploads in parts that nobody will finish: begun under a prefix more than an age ago (a
/// mount whose machine and cache were destroyed mid-upload, a killed `put`). A mount discards its own leftovers
/// at start from its journal; this covers the cases where the journal is gone too. An age keeps it from cutting
/// off uploads other machines are running now; S3 lifecycle rules (AbortIncompleteMultipartUpload) do the same
/// server-side.
/// </summary>
public static class UnfinishedUploadCleanup
{
    public static async IAsyncEnumerable<CleanupResult> RunAsync(IObjectStore store, string prefix, TimeSpan olderThan, bool dryRun, DateTimeOffset now,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(olderThan, TimeSpan.Zero);

        // Listed in full first: aborting while paging could move the markers under the listing.
        var unfinished = new List<UnfinishedPartUpload>();
        await foreach (var upload in store.ListUnfinishedPartUploadsAsync(prefix, cancellationToken).ConfigureAwait(false))
        {
            unfinished.Add(upload);
        }

        foreach (var upload in unfinished)
        {
            if (now - upload.Initiated < olderThan)
            {
                yield return new CleanupResult(upload, CleanupAction.KeptAsRecent);
            }
            else if (dryRun)
            {
                yield return new CleanupResult(upload, CleanupAction.WouldAbort);
            }
            else
            {
                await store.AbortPartUploadAsync(upload.Key, upload.UploadId, cancellationToken).ConfigureAwait(false);
                yield return new CleanupResult(upload, CleanupAction.Aborted);
            }
        }
    }
}
