using System.Runtime.CompilerServices;
using BucketMount.Backends.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BucketMount.Backends.Decorators;

/// <summary>
/// Retries throttled and transient failures of any store with <see cref="RetryPolicy"/>. Calls that consumed
/// part of their input or output resume instead of repeating it: a ranged copy continues after the bytes it
/// already delivered, a listing after the last key it yielded, a put rewinds a seekable stream (a stream that
/// cannot seek is not retried, since its bytes are gone). Each try of a request without a body is bounded by
/// <see cref="RetryPolicy.MetadataAttemptTimeout"/>, and a download by <see cref="RetryPolicy.BodyStallTimeout"/>
/// without a byte and a PUT or part by the same time without its body being read, so a store that accepts connections
/// but never answers fails the request instead of holding its caller; such tries count as transient failures, at most <see cref="RetryPolicy.MaxTimedOutAttempts"/> of them.
/// Retry warnings are rate-limited to one line per operation and kind of failure per interval.
/// </summary>
public sealed partial class RetryingObjectStore(IObjectStore inner, RetryPolicy? policy = null, ILogger? logger = null)
    : ObjectStoreDecorator(inner)
{
    private readonly RetryPolicy _policy = policy ?? RetryPolicy.Default;
    private readonly ILogger _logger = logger ?? NullLogger.Instance;
    private readonly LogRateLimiter _retryLog = new(LogRateLimiter.DefaultInterval);

    public override Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken) =>
        RunAsync("HEAD", key, ct => Inner.HeadAsync(key, ct), cancellationToken, _policy.MetadataAttemptTimeout);

    public override Task<SmallObject?> GetSmallAsync(string key, int maxBytes, CancellationToken cancellationToken) =>
        RunAsync("GET", key, ct => Inner.GetSmallAsync(key, maxBytes, ct), cancellationToken, _policy.MetadataAttemptTimeout);

    public override Task<int> ReadAsync(string key, long offset, Memory<byte> buffer, ReadOptions? options, CancellationToken cancellationToken) =>
        RunAsync("GET", key, ct => Inner.ReadAsync(key, offset, buffer, options, ct), cancellationToken, BoundForBuffer(buffer.Length));

    public override async Task<long> ReadToAsync(string key, long offset, long? length, Stream destination, ReadOptions? options, CancellationToken cancellationToken)
    {
        // Count what reached the destination, so a retry asks only for the rest.
        var counting = new CountingWriteStream(destination);
        await RunAsync("GET", key, async ct =>
        {
            // Each byte that arrives re-arms the stall timer: only a try that stops receiving is abandoned.
            using var stall = CancellationTokenSource.CreateLinkedTokenSource(ct);
            counting.Progressed = () => stall.CancelAfter(_policy.BodyStallTimeout);
            stall.CancelAfter(_policy.BodyStallTimeout);
            try
            {
                var done = counting.Written;
                var rest = length is null ? (long?)null : length.Value - done;
                return rest == 0 ? 0 : await Inner.ReadToAsync(key, offset + done, rest, counting, options, stall.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (stall.IsCancellationRequested && !ct.IsCancellationRequested && e is OperationCanceledException or ObjectStoreException)
            {
                throw NoAnswer("GET", key, _policy.BodyStallTimeout, "no data arrived", e);
            }
            finally
            {
                counting.Progressed = null;
            }
        }, cancellationToken).ConfigureAwait(false);
        return counting.Written;
    }

    public override Task<ObjectInfo> PutAsync(string key, Stream content, PutOptions? options, CancellationToken cancellationToken)
    {
        if (!content.CanSeek)
        {
            return Inner.PutAsync(key, content, options, cancellationToken);
        }

        var start = content.Position;
        return RunAsync("PUT", key, ct => WatchedAsync("PUT", key, ct, watch =>
        {
            content.Position = start;
            return Inner.PutAsync(key, watch.Watch(content), options, watch.Token);
        }), cancellationToken);
    }

    public override Task<ObjectInfo> UploadAsync(string key, IUploadSource source, UploadOptions? options, CancellationToken cancellationToken) =>
        // Not stall-watched as a whole: completing a large upload in parts may legitimately take minutes without a read.
        RunAsync("UPLOAD", key, ct => Inner.UploadAsync(key, source, options, ct), cancellationToken);

    public override async Task<IPartUpload?> BeginPartUploadAsync(string key, PutOptions options, CancellationToken cancellationToken) =>
        await RunAsync("MULTIPART", key, ct => Inner.BeginPartUploadAsync(key, options, ct), cancellationToken).ConfigureAwait(false) is { } upload
            ? new RetryingPartUpload(upload, this)
            : null;

    public override Task AbortPartUploadAsync(string key, string uploadId, CancellationToken cancellationToken) =>
        RunAsync("ABORT", key, async ct =>
        {
            await Inner.AbortPartUploadAsync(key, uploadId, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken, _policy.MetadataAttemptTimeout);

    public override Task<ObjectInfo> CopyAsync(string sourceKey, string destinationKey, CopyOptions? options, CancellationToken cancellationToken) =>
        RunAsync("COPY", destinationKey, ct => Inner.CopyAsync(sourceKey, destinationKey, options, ct), cancellationToken);

    public override Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        RunAsync("DELETE", key, async ct =>
        {
            await Inner.DeleteAsync(key, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken, _policy.MetadataAttemptTimeout);

    public override async Task<IReadOnlyList<DeleteFailure>> DeleteManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var pending = keys;
        var final = new List<DeleteFailure>();
        for (var attempt = 1; ; attempt++)
        {
            var failures = await RunAsync("DELETE", null, ct => Inner.DeleteManyAsync(pending, ct), cancellationToken, _policy.MetadataAttemptTimeout).ConfigureAwait(false);
            var retryable = failures.Where(f => f.Error.IsRetryable).ToList();
            if (retryable.Count == 0 || attempt >= _policy.MaxAttempts)
            {
                final.AddRange(failures);
                return final;
            }

            // Keys that failed for a passing reason get another batch; the others are final, and stay reported.
            final.AddRange(failures.Where(f => !f.Error.IsRetryable));
            await WaitAsync(attempt, retryable[0].Error, "DELETE", null, cancellationToken).ConfigureAwait(false);
            pending = retryable.Select(f => f.Key).ToList();
        }
    }

    public override IAsyncEnumerable<ListEntry> ListAsync(string prefix, string? delimiter, CancellationToken cancellationToken) =>
        ListAsync(prefix, delimiter, null, cancellationToken);

    public override async IAsyncEnumerable<ListEntry> ListAsync(string prefix, string? delimiter, string? startAfter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? lastKey = null;
        var timedOut = 0;
        for (var attempt = 1; ; attempt++)
        {
            // Each page must come within the metadata timeout; the timer is off while the caller consumes entries.
            using var page = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            RequestAttempt.Set(attempt);
            // A restart resumes after the last entry given (where the store can), else from startAfter.
            var enumerator = Inner.ListAsync(prefix, delimiter, lastKey ?? startAfter, page.Token).GetAsyncEnumerator(page.Token);
            try
            {
                while (true)
                {
                    ListEntry entry;
                    try
                    {
                        page.CancelAfter(_policy.MetadataAttemptTimeout);
                        var more = await enumerator.MoveNextAsync().ConfigureAwait(false);
                        page.CancelAfter(Timeout.InfiniteTimeSpan);
                        if (!more)
                        {
                            yield break;
                        }

                        entry = enumerator.Current;
                    }
                    catch (Exception e) when (page.IsCancellationRequested && !cancellationToken.IsCancellationRequested
                        && e is OperationCanceledException or ObjectStoreException)
                    {
                        var noAnswer = NoAnswer("LIST", prefix, _policy.MetadataAttemptTimeout, "no answer", e);
                        if (++timedOut >= _policy.MaxTimedOutAttempts || attempt >= _policy.MaxAttempts)
                        {
                            throw noAnswer;
                        }

                        await WaitAsync(attempt, noAnswer, "LIST", prefix, cancellationToken).ConfigureAwait(false);
                        break;
                    }
                    catch (ObjectStoreException e) when (e.IsRetryable && attempt < _policy.MaxAttempts)
                    {
                        await WaitAsync(attempt, e, "LIST", prefix, cancellationToken).ConfigureAwait(false);
                        break;
                    }

                    // Listings are in key order, so a restarted listing skips what was already yielded.
                    if (lastKey is not null && Internal.KeyOrder.Instance.Compare(entry.Key, lastKey) <= 0)
                    {
                        continue;
                    }

                    lastKey = entry.Key;
                    yield return entry;
                }
            }
            finally
            {
                await enumerator.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task<T> RunAsync<T>(string operation, string? key, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken,
        TimeSpan? attemptTimeout = null)
    {
        var timedOut = 0;
        for (var attempt = 1; ; attempt++)
        {
            using var bounded = attemptTimeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bounded?.CancelAfter(attemptTimeout!.Value);
            RequestAttempt.Set(attempt);
            try
            {
                return await call(bounded?.Token ?? cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (bounded is { IsCancellationRequested: true } && !cancellationToken.IsCancellationRequested
                && e is OperationCanceledException or ObjectStoreException)
            {
                var noAnswer = NoAnswer(operation, key, attemptTimeout!.Value, "no answer", e);
                if (++timedOut >= _policy.MaxTimedOutAttempts || attempt >= _policy.MaxAttempts)
                {
                    throw noAnswer;
                }

                await WaitAsync(attempt, noAnswer, operation, key, cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectStoreException e) when (e.IsRetryable && attempt < _policy.MaxAttempts)
            {
                await WaitAsync(attempt, e, operation, key, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>One try of an upload, abandoned (as a transient failure) once its body has not been read for the stall timeout.</summary>
    private async Task<T> WatchedAsync<T>(string operation, string key, CancellationToken cancellationToken, Func<StallWatch, Task<T>> call)
    {
        using var watch = new StallWatch(_policy.BodyStallTimeout, cancellationToken);
        try
        {
            return await call(watch).ConfigureAwait(false);
        }
        catch (Exception e) when (watch.Stalled && !cancellationToken.IsCancellationRequested && e is OperationCanceledException or ObjectStoreException)
        {
            throw NoAnswer(operation, key, _policy.BodyStallTimeout, "no progress", e);
        }
    }

    /// <summary>A buffer read is bounded like a stalled download, plus the time its bytes take at a slow 256 KiB/s.</summary>
    private TimeSpan BoundForBuffer(int bytes) => _policy.BodyStallTimeout + TimeSpan.FromSeconds(bytes / (256.0 * 1024));

    private ObjectStoreException NoAnswer(string operation, string? key, TimeSpan waited, string what, Exception inner) =>
        new(ObjectStoreErrorKind.Transient,
            $"{what} to {operation} within {waited.TotalSeconds:0} s: the store accepts connections but does not respond; check the endpoint and the network.",
            Inner.Description, key, inner);

    private async Task WaitAsync(int attempt, ObjectStoreException error, string operation, string? key, CancellationToken cancellationToken)
    {
        Counters.CountRetry();
        var delay = _policy.DelayAfter(attempt, error.Kind, Random.Shared);
        if (_retryLog.ShouldLog(operation + " " + error.Kind, out var suppressed))
        {
            LogRetry(_logger, operation, key ?? "", attempt, _policy.MaxAttempts, (long)delay.TotalMilliseconds, error.Message,
                suppressed == 0 ? "" : $" ({suppressed} similar retries in the last {LogRateLimiter.DefaultInterval.TotalSeconds:0} s not shown)");
        }

        await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Operation} '{Key}' failed on try {Attempt} of {MaxAttempts}; retrying in {DelayMs} ms ({Reason}){Suppressed}")]
    private static partial void LogRetry(ILogger logger, string operation, string key, int attempt, int maxAttempts, long delayMs, string reason, string suppressed);

    /// <summary>
    /// Each part is retried on its own (sending a part again replaces it); so is the completion, which S3 answers
    /// again for an upload it already completed.
    /// </summary>
    private sealed class RetryingPartUpload(IPartUpload inner, RetryingObjectStore store) : PartUploadDecorator(inner)
    {
        public override Task UploadPartAsync(int partNumber, IUploadSource source, long offset, long length, CancellationToken cancellationToken) =>
            store.RunAsync("PART", Key, ct => store.WatchedAsync("PART", Key, ct, async watch =>
            {
                await Inner.UploadPartAsync(partNumber, watch.Watch(source), offset, length, watch.Token).ConfigureAwait(false);
                return true;
            }), cancellationToken);

        public override Task<ObjectInfo> CompleteAsync(long length, CancellationToken cancellationToken) =>
            store.RunAsync("COMPLETE", Key, ct => Inner.CompleteAsync(length, ct), cancellationToken);
    }
}
