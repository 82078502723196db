using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace BucketMount.Backends.Decorators;

/// <summary>
/// `--log-level Debug`: one line per store request, with the operation, the key (escaped as `ls -b` shows it), how
/// it ended, the bytes moved, the milliseconds it took and which try it was (retries are separate lines). Sits
/// beneath the retry decorator, so each try is one line. Never logs credentials: keys and sizes only.
/// </summary>
public sealed partial class RequestLoggingObjectStore(IObjectStore inner, ILogger logger) : ObjectStoreDecorator(inner)
{
    public override Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken) =>
        LogAsync("HEAD", key, () => Inner.HeadAsync(key, cancellationToken), info => info is null ? (NotFound, 0) : (Ok, 0));

    public override Task<SmallObject?> GetSmallAsync(string key, int maxBytes, CancellationToken cancellationToken) =>
        LogAsync("GET", key, () => Inner.GetSmallAsync(key, maxBytes, cancellationToken), small => small is null ? (NotFound, 0) : (Ok, small.Data?.Length ?? 0));

    public override Task<int> ReadAsync(string key, long offset, Memory<byte> buffer, ReadOptions? options, CancellationToken cancellationToken) =>
        LogAsync($"GET@{offset}", key, () => Inner.ReadAsync(key, offset, buffer, options, cancellationToken), read => (Ok, read));

    public override Task<long> ReadToAsync(string key, long offset, long? length, Stream destination, ReadOptions? options, CancellationToken cancellationToken) =>
        LogAsync($"GET@{offset}", key, () => Inner.ReadToAsync(key, offset, length, destination, options, cancellationToken), read => (Ok, read));

    public override Task<ObjectInfo> PutAsync(string key, Stream content, PutOptions? options, CancellationToken cancellationToken) =>
        LogAsync("PUT", key, () => Inner.PutAsync(key, content, options, cancellationToken), info => (Ok, info.Size));

    public override Task<ObjectInfo> UploadAsync(string key, IUploadSource source, UploadOptions? options, CancellationToken cancellationToken) =>
        LogAsync("UPLOAD", key, () => Inner.UploadAsync(key, source, options, cancellationToken), info => (Ok, info.Size));

    public override async Task<IPartUpload?> BeginPartUploadAsync(string key, PutOptions options, CancellationToken cancellationToken) =>
        await LogAsync("MULTIPART-BEGIN", key, () => Inner.BeginPartUploadAsync(key, options, cancellationToken), upload => (upload is null ? "not supported" : Ok, 0)).ConfigureAwait(false) is { } started
            ? new LoggingPartUpload(started, this)
            : null;

    public override Task AbortPartUploadAsync(string key, string uploadId, CancellationToken cancellationToken) =>
        LogAsync("MULTIPART-ABORT", key, async () =>
        {
            await Inner.AbortPartUploadAsync(key, uploadId, cancellationToken).ConfigureAwait(false);
            return true;
        }, _ => (Ok, 0));

    public override Task<ObjectInfo> CopyAsync(string sourceKey, string destinationKey, CopyOptions? options, CancellationToken cancellationToken) =>
        LogAsync("COPY", destinationKey, () => Inner.CopyAsync(sourceKey, destinationKey, options, cancellationToken), info => (Ok, info.Size));

    public override Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        LogAsync("DELETE", key, async () =>
        {
            await Inner.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
            return true;
        }, _ => (Ok, 0));

    public override Task<IReadOnlyList<DeleteFailure>> DeleteManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken) =>
        LogAsync($"DELETE×{keys.Count}", keys.Count > 0 ? keys[0] : "", () => Inner.DeleteManyAsync(keys, cancellationToken),
            failures => (failures.Count == 0 ? Ok : $"{failures.Count} failed", 0));

    public override IAsyncEnumerable<ListEntry> ListAsync(string prefix, string? delimiter, CancellationToken cancellationToken) =>
        ListAsync(prefix, delimiter, null, cancellationToken);

    public override async IAsyncEnumerable<ListEntry> ListAsync(string prefix, string? delimiter, string? startAfter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var attempt = RequestAttempt.Current;
        var entries = 0L;
        var status = "stopped";
        try
        {
            await foreach (var entry in Inner.ListAsync(prefix, delimiter, startAfter, cancellationToken).ConfigureAwait(false))
            {
                entries++;
                yield return entry;
            }

            status = Ok;
        }
        finally
        {
            // One line per listing (its pages are the store's business): how many entries it gave and how long it ran.
            LogRequest(logger, delimiter is null ? "LIST-ALL" : "LIST", PrintableNames.Escape(prefix), $"{status}, {entries} entries", 0, clock.ElapsedMilliseconds, attempt);
        }
    }

    private const string Ok = "ok";
    private const string NotFound = "not found";

    private async Task<T> LogAsync<T>(string operation, string key, Func<Task<T>> call, Func<T, (string Status, long Bytes)> describe)
    {
        if (!logger.IsEnabled(LogLevel.Debug))
        {
            return await call().ConfigureAwait(false);
        }

        var attempt = RequestAttempt.Current;
        var clock = Stopwatch.StartNew();
        try
        {
            var result = await call().ConfigureAwait(false);
            var (status, bytes) = describe(result);
            LogRequest(logger, operation, PrintableNames.Escape(key), status, bytes, clock.ElapsedMilliseconds, attempt);
            return result;
        }
        catch (ObjectStoreException e)
        {
            LogRequest(logger, operation, PrintableNames.Escape(key), e.Kind.ToString(), 0, clock.ElapsedMilliseconds, attempt);
            throw;
        }
        catch (OperationCanceledException)
        {
            LogRequest(logger, operation, PrintableNames.Escape(key), "cancelled", 0, clock.ElapsedMilliseconds, attempt);
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Operation} '{Key}' {Status} {Bytes} bytes {Milliseconds} ms try {Attempt}")]
    private static partial void LogRequest(ILogger logger, string operation, string key, string status, long bytes, long milliseconds, int attempt);

    private sealed class LoggingPartUpload(IPartUpload inner, RequestLoggingObjectStore store) : PartUploadDecorator(inner)
    {
        public override Task UploadPartAsync(int partNumber, IUploadSource source, long offset, long length, CancellationToken cancellationToken) =>
            store.LogAsync($"PART#{partNumber}", Key, async () =>
            {
                await Inner.UploadPartAsync(partNumber, source, offset, length, cancellationToken).ConfigureAwait(false);
                return true;
            }, _ => (Ok, length));

        public override Task<ObjectInfo> CompleteAsync(long length, CancellationToken cancellationToken) =>
            store.LogAsync("MULTIPART-COMPLETE", Key, () => Inner.CompleteAsync(length, cancellationToken), info => (Ok, info.Size));

        public override Task AbortAsync(CancellationToken cancellationToken) =>
            store.LogAsync("MULTIPART-ABORT", Key, async () =>
            {
                await Inner.AbortAsync(cancellationToken).ConfigureAwait(false);
                return true;
            }, _ => (Ok, 0));
    }
}
