using BucketMount.Backends;
using BucketMount.Backends.Diagnostics;
using BucketMount.Engine.Diagnostics;
using Microsoft.Extensions.Logging;

namespace BucketMount.Engine.Files;

/// <summary>
/// What happens after an upload fails, and the drain at unmount. A failure that may pass (the store is away,
/// throttling, timing out) is retried after a pause of its own file's failures in a row: 1 s doubling to at most
/// <see cref="MaxTransientPause"/>, and at once when the store's health probe sees it answer again. A failure
/// retrying cannot fix (access denied, an invalid request) is retried too, slowly (credentials can be fixed while
/// mounted), and is the only kind that makes the drain give up. Nothing is dropped: the file stays journaled.
/// </summary>
internal sealed partial class WriteBack
{
    /// <summary>Longest pause before retrying an upload that failed for a passing reason.</summary>
    public static readonly TimeSpan MaxTransientPause = TimeSpan.FromSeconds(10);

    /// <summary>Longest pause before retrying an upload the store refused.</summary>
    public static readonly TimeSpan MaxPermanentPause = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Passing failures of one file in a row, each after the store answered other requests, that make it count as
    /// refused: retried slowly from then on, and named by the drain instead of holding an unmount forever.
    /// </summary>
    internal const int FailuresWhileStoreAnswersLimit = 5;

    private static readonly TimeSpan FirstTransientPause = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan FirstPermanentPause = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DrainPollInterval = TimeSpan.FromMilliseconds(500);
    private static readonly Task NeverCompletes = new TaskCompletionSource().Task;

    private readonly LogRateLimiter _failureLog = new(LogRateLimiter.DefaultInterval);
    private long _failureSequence;

    /// <summary>
    /// Uploads every closed dirty file now and waits until none is left. While the store is away it keeps retrying
    /// (reporting <see cref="UploadProgress.StoreUnreachable"/>) until <paramref name="cancellationToken"/> is
    /// cancelled; it throws only when every file left failed, during this drain, in a way retrying cannot fix.
    /// </summary>
    public async Task FlushAllAsync(IProgress<UploadProgress>? progress, CancellationToken cancellationToken)
    {
        _skipDelays = true;
        ResumeUploads();
        await _leftoverSweep.WaitAsync(cancellationToken).ConfigureAwait(false);
        var started = Interlocked.Read(ref _failureSequence);
        var tried = new HashSet<OpenFile>();
        try
        {
            while (true)
            {
                var pending = registry.All().Where(IsPendingUpload).ToList();
                progress?.Report(counters.Progress(pending.Count, pending.Sum(f => f.Size)) with
                {
                    StoreUnreachable = health.IsUnreachable,
                    LastError = health.LastError ?? pending.Select(f => f.LastError).FirstOrDefault(e => e is not null),
                });
                if (pending.Count == 0)
                {
                    return;
                }

                // Each file is started once now; after that a failing one retries on its own schedule (woken early
                // when the store returns), and only files nobody is uploading or retrying are started again.
                foreach (var file in pending)
                {
                    if (tried.Add(file) || NeedsStart(file))
                    {
                        Schedule(file, immediately: true);
                    }
                }

                // Wakes when the running uploads end, or after a poll interval when none runs (all waiting to retry).
                var running = pending.Select(f => f.Upload?.Completion).OfType<Task>().Where(t => !t.IsCompleted).ToArray();
                var pause = Task.Delay(DrainPollInterval, cancellationToken);
                await (running.Length == 0 ? pause : Task.WhenAny(Task.WhenAll(running), pause)).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();

                var refused = pending.Where(f => FailedPermanentlySince(f, started)).ToList();
                if (refused.Count == pending.Count)
                {
                    var named = string.Join(", ", refused.Take(5).Select(f => "'" + f.Path + "'")) + (refused.Count > 5 ? $" and {refused.Count - 5} more" : "");
                    throw new FileSystemException(FsError.IoError, refused[0].Path,
                        $"{refused.Count} file(s) could not be uploaded because the store refused them ({named}); {WhereTheyStay(refused)}: {refused[0].LastError}");
                }
            }
        }
        finally
        {
            _skipDelays = false;
        }
    }

    /// <summary>
    /// Dirty and closed, or its upload still finishing: a file whose upload just landed counts until it has left the
    /// registry and its journal record is gone, so a drain never returns a moment early.
    /// </summary>
    private static bool IsPendingUpload(OpenFile file)
    {
        lock (file.State)
        {
            return !file.Deleted && file.Handles == 0 && (file.Dirty || file.Upload is not null);
        }
    }

    private static bool NeedsStart(OpenFile file)
    {
        lock (file.State)
        {
            return file.Upload is null && !file.RetryPending;
        }
    }

    private static bool FailedPermanentlySince(OpenFile file, long sequence)
    {
        lock (file.State)
        {
            return file.Upload is null && file.LastFailurePermanent && file.LastFailureSequence > sequence;
        }
    }

    /// <summary>A failure retrying cannot fix; everything else (the store away, slow, throttling) may pass.</summary>
    internal static bool IsPermanent(Exception error) => error switch
    {
        ObjectStoreException store => !store.IsRetryable,
        FileSystemException { InnerException: ObjectStoreException store } => !store.IsRetryable,
        // A timeout inside a client that surfaced as a cancellation nobody asked for: the store did not answer.
        TimeoutException or HttpRequestException or OperationCanceledException => false,
        _ => true,
    };

    private void OnSucceeded()
    {
        health.OnSuccess();
        _failureLog.Reset("upload");
    }

    /// <summary>Says truthfully where files that were not uploaded stay: in the journal only if their close reached it.</summary>
    private string WhereTheyStay(IReadOnlyList<OpenFile> files)
    {
        var journaled = files.Count(f =>
        {
            lock (f.State)
            {
                return f.JournaledGeneration == f.Generation;
            }
        });
        return journaled == files.Count ? $"they stay queued in the cache's journal in {options.CacheDirectory} and upload when a mount on that cache can send them"
            : journaled == 0 ? "they are not in the cache's journal either: they live only in this mount's staging files until it ends"
            : $"{journaled} of them stay queued in the cache's journal; the rest live only in this mount's staging files until it ends";
    }

    private void OnFailed(OpenFile file, UploadTicket ticket, Exception error)
    {
        var message = error is ObjectStoreException or FileSystemException ? error.Message : error.GetType().Name + ": " + error.Message;
        var permanent = IsPermanent(error);
        if (error is ObjectStoreException store)
        {
            health.OnFailure(store);
        }
        else if (error is FileSystemException { InnerException: ObjectStoreException inner })
        {
            health.OnFailure(inner);
        }

        int failures;
        var answers = health.Answers;
        lock (file.State)
        {
            // A store that answers everything else but fails this one key every time (s3rver drops the connection on
            // a 255-byte name) would be retried forever as an outage: after a few such failures it is a refusal.
            file.FailuresWhileStoreAnswers = permanent ? 0
                : answers != file.StoreAnswersAtLastFailure && file.ConsecutiveFailures > 0 ? file.FailuresWhileStoreAnswers + 1 : file.FailuresWhileStoreAnswers;
            file.StoreAnswersAtLastFailure = answers;
            if (!permanent && file.FailuresWhileStoreAnswers >= FailuresWhileStoreAnswersLimit)
            {
                permanent = true;
                message = $"the store failed this file's upload {file.ConsecutiveFailures + 1} times in a row while answering other requests, so it may never take this name: {message}";
            }

            file.LastError = message;
            file.LastFailurePermanent = permanent;
            file.LastFailureError = error is ObjectStoreException { Kind: ObjectStoreErrorKind.KeyTooLong }
                or FileSystemException { InnerException: ObjectStoreException { Kind: ObjectStoreErrorKind.KeyTooLong } } ? FsError.NameTooLong : FsError.IoError;
            file.LastFailureSequence = Interlocked.Increment(ref _failureSequence);
            failures = ++file.ConsecutiveFailures;
            file.RetryPending = true;
            counters.UploadFailed(file.Path, message);
        }

        var pause = PauseAfter(failures, permanent);
        if (_failureLog.ShouldLog(permanent ? "refused" : "upload", out var suppressed))
        {
            LogUploadFailed(logger, file.Path, (long)Math.Ceiling(pause.TotalSeconds), message,
                suppressed == 0 ? "" : $" ({suppressed} more upload failures in the last {LogRateLimiter.DefaultInterval.TotalSeconds:0} s not shown)");
        }

        _ = RetryLaterAsync(file, ticket, pause, permanent ? NeverCompletes : health.NextRecovery);
    }

    /// <summary>The pause after <paramref name="failures"/> failures in a row: doubling, capped, jittered by up to a quarter.</summary>
    internal static TimeSpan PauseAfter(int failures, bool permanent)
    {
        var (first, max) = permanent ? (FirstPermanentPause, MaxPermanentPause) : (FirstTransientPause, MaxTransientPause);
        var doubled = first.TotalMilliseconds * Math.Pow(2, Math.Min(failures, 20) - 1);
        var capped = Math.Min(doubled, max.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.75 + (0.25 * Random.Shared.NextDouble())));
    }

    private async Task RetryLaterAsync(OpenFile file, UploadTicket failed, TimeSpan pause, Task storeReturned)
    {
        try
        {
            await Task.WhenAny(Task.Delay(pause, _shutdown.Token), storeReturned).ConfigureAwait(false);
        }
        finally
        {
            lock (file.State)
            {
                file.RetryPending = false;
            }
        }

        if (_shutdown.IsCancellationRequested)
        {
            return;
        }

        lock (file.State)
        {
            if (file.Upload is not null && file.Upload != failed)
            {
                return;
            }
        }

        Schedule(file, immediately: true);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "upload of '{Path}' failed and is retried in {Seconds} s or as soon as the store answers: {Reason}{Suppressed}")]
    private static partial void LogUploadFailed(ILogger logger, string path, long seconds, string reason, string suppressed);
}
