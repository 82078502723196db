using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BucketMount.Backends.Decorators;

/// <summary>
/// Retries throttled and transient failures of any store with <see cref="RetryPolicy"/>. Calls that consumed
/// part of their input or output resume instead of repeating it: a ranged copy continues after the bytes it
/// already delivered, a listing after the last key it yielded, a put rewinds a seekable stream (a stream that
/// cannot seek is not retried, since its bytes are gone).
/// </summary>
public sealed partial class RetryingObjectStore(IObjectStore inner, RetryPolicy? policy = null, ILogger? logger = null)
    : ObjectStoreDecorator(inner)
{
    private readonly RetryPolicy _policy = policy ?? RetryPolicy.Default;
    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    public override Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken) =>
        RunAsync("HEAD", key, ct => Inner.HeadAsync(key, ct), cancellationToken);

    public override Task<SmallObject?> GetSmallAsync(string key, int maxBytes, CancellationToken cancellationToken) =>
        RunAsync("GET", key, ct => Inner.GetSmallAsync(key, maxBytes, ct), cancellationToken);

    public override Task<int> ReadAsync(string key, long offset, Memory<byte> buffer, ReadOptions? options, CancellationToken cancellationToken) =>
        RunAsync("GET", key, ct => Inner.ReadAsync(key, offset, buffer, options, ct), cancellationToken);

    public override async Task<long> ReadToAsync(string key, long offset, long? length, Stream destination, ReadOptions? options, CancellationToken cancellationToken)
    {
        // Count what reached the destination, so a retry asks only for the rest.
        var counting = new CountingWriteStream(destination);
        await RunAsync("GET", key, async ct =>
        {
            var done = counting.Written;
            var rest = length is null ? (long?)null : length.Value - done;
            return rest == 0 ? 0 : await Inner.ReadToAsync(key, offset + done, rest, counting, options, ct).ConfigureAwait(false);
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
        return RunAsync("PUT", key, ct =>
        {
            content.Position = start;
            return Inner.PutAsync(key, content, options, ct);
        }, cancellationToken);
    }

    public override Task<ObjectInfo> UploadAsync(string key, IUploadSource source, UploadOptions? options, CancellationToken cancellationToken) =>
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
        }, cancellationToken);

    public override Task<ObjectInfo> CopyAsync(string sourceKey, string destinationKey, CopyOptions? options, CancellationToken cancellationToken) =>
        RunAsync("COPY", destinationKey, ct => Inner.CopyAsync(sourceKey, destinationKey, options, ct), cancellationToken);

    public override Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        RunAsync("DELETE", key, async ct =>
        {
            await Inner.DeleteAsync(key, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    public override async Task<IReadOnlyList<DeleteFailure>> DeleteManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var pending = keys;
        var final = new List<DeleteFailure>();
        for (var attempt = 1; ; attempt++)
        {
            var failures = await RunAsync("DELETE", null, ct => Inner.DeleteManyAsync(pending, ct), cancellationToken).ConfigureAwait(false);
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

    public override async IAsyncEnumerable<ListEntry> ListAsync(string prefix, string? delimiter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? lastKey = null;
        for (var attempt = 1; ; attempt++)
        {
            var enumerator = Inner.ListAsync(prefix, delimiter, cancellationToken).GetAsyncEnumerator(cancellationToken);
            try
            {
                while (true)
                {
                    ListEntry entry;
                    try
                    {
                        if (!await enumerator.MoveNextAsync().ConfigureAwait(false))
                        {
                            yield break;
                        }

                        entry = enumerator.Current;
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

    private async Task<T> RunAsync<T>(string operation, string? key, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call(cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectStoreException e) when (e.IsRetryable && attempt < _policy.MaxAttempts)
            {
                await WaitAsync(attempt, e, operation, key, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task WaitAsync(int attempt, ObjectStoreException error, string operation, string? key, CancellationToken cancellationToken)
    {
        Counters.CountRetry();
        var delay = _policy.DelayAfter(attempt, error.Kind, Random.Shared);
        LogRetry(_logger, operation, key ?? "", attempt, _policy.MaxAttempts, (long)delay.TotalMilliseconds, error.Kind, error.Message);
        await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Operation} '{Key}' failed on try {Attempt} of {MaxAttempts}; retrying in {DelayMs} ms ({Kind}: {Reason})")]
    private static partial void LogRetry(ILogger logger, string operation, string key, int attempt, int maxAttempts, long delayMs, ObjectStoreErrorKind kind, string reason);

    /// <summary>
    /// Each part is retried on its own (sending a part again replaces it); so is the completion, which S3 answers
    /// again for an upload it already completed.
    /// </summary>
    private sealed class RetryingPartUpload(IPartUpload inner, RetryingObjectStore store) : PartUploadDecorator(inner)
    {
        public override Task UploadPartAsync(int partNumber, IUploadSource source, long offset, long length, CancellationToken cancellationToken) =>
            store.RunAsync("PART", Key, async ct =>
            {
                await Inner.UploadPartAsync(partNumber, source, offset, length, ct).ConfigureAwait(false);
                return true;
            }, cancellationToken);

        public override Task<ObjectInfo> CompleteAsync(long length, CancellationToken cancellationToken) =>
            store.RunAsync("COMPLETE", Key, ct => Inner.CompleteAsync(length, ct), cancellationToken);
    }
}
