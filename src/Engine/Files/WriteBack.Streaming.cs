using BucketMount.Backends;
using BucketMount.Engine.Namespace;
using BucketMount.Engine.Writing;
using Microsoft.Extensions.Logging;

namespace BucketMount.Engine.Files;

/// <summary>Streaming a file's parts while it is written (<see cref="PartStream"/>), and finishing that at upload.</summary>
internal sealed partial class WriteBack
{
    // A stream begins once this many whole parts are written: smaller files are cheaper as they always were.
    private const int PartsBeforeStreaming = 2;

    /// <summary>
    /// After a write or truncate, under the file's content lock: queues the parts an append completed, begins a
    /// stream for a file that qualifies, or abandons the stream a change that is not an append invalidated.
    /// </summary>
    public void OnContentChanged(OpenFile file, StagingFile staging, long oldSize, bool appended, long newSize)
    {
        PartStream? abandoned = null;
        PartStream? running;
        (string Key, PutOptions Options)? begin = null;
        lock (file.State)
        {
            // A write at offset 0 of an empty file, or a truncate to 0, starts content that needs nothing fetched.
            var candidate = appended ? file.StreamCandidate || oldSize == 0 : newSize == 0;
            var fits = newSize <= options.UploadPartSize * (store.Capabilities.MaxPartCount - 1L);
            if (!appended || !candidate || !fits)
            {
                abandoned = file.Stream;
                file.Stream = null;
            }

            file.StreamCandidate = candidate && fits;
            running = file.Stream;
            if (running is null && file.StreamCandidate && appended && !file.Deleted && options.StreamUploads &&
                store.Capabilities.PartUploads && newSize >= PartsBeforeStreaming * options.UploadPartSize)
            {
                // The content lock keeps other writes out; attributes may still change, which the finish checks.
                // The stream's id is its own: it may land (and its answer be lost) whatever becomes of the file.
                var streamId = UploadIds.New();
                var streamOptions = UploadOptionsFor(file);
                begin = (keys.ToKey(file.Path), streamOptions with { Metadata = UploadIds.With(streamOptions.Metadata, streamId) });
                file.UnconfirmedUploadIds.Add(streamId);
            }
        }

        abandoned?.Abandon();
        if (begin is { } start)
        {
            running = new PartStream(store, start.Key, start.Options, options.UploadPartSize, options.UploadPartConcurrency, _uploader.Ledger);
            lock (file.State)
            {
                file.Stream = running;
                file.NeverSent = false;
            }

            LogStreamBegun(logger, file.Path);
        }

        running?.Offer(staging, newSize);
    }

    /// <summary>Abandons the file's stream, if any (the file was deleted, replaced or renamed).</summary>
    private static void AbandonStream(OpenFile file)
    {
        PartStream? stream;
        lock (file.State)
        {
            stream = file.Stream;
            file.Stream = null;
        }

        stream?.Abandon();
    }

    /// <summary>
    /// Metadata and conditions of an upload of the file as it is now (a store that cannot check conditions ignores
    /// them). Caller holds <see cref="OpenFile.State"/>.
    /// </summary>
    private static PutOptions UploadOptionsFor(OpenFile file)
    {
        return new PutOptions
        {
            Metadata = ObjectMetadata.Build(file.Attributes),
            IfMatch = file.Remote?.ETag,
            IfNoneMatch = file.Remote is null,
        };
    }

    /// <summary>
    /// Completes the stream as the upload of <paramref name="size"/> bytes when it still stands for the file (same
    /// key and conditions); attributes changed since it began are then set by a copy of the object onto itself,
    /// which the store does without the bytes passing through here. Null when the stream does not fit or failed:
    /// it is abandoned and the caller uploads the file whole. A precondition failure is the caller's to resolve.
    /// </summary>
    private async Task<ObjectInfo?> TryFinishStreamAsync(PartStream stream, string key, StagingFile staging, long size, PutOptions wanted,
        Action beforeCommit, CancellationToken cancellationToken)
    {
        if (stream.Key != key || stream.Options.IfMatch != wanted.IfMatch || stream.Options.IfNoneMatch != wanted.IfNoneMatch)
        {
            stream.Abandon();
            return null;
        }

        ObjectInfo completed;
        try
        {
            completed = await FinishStreamAsync(stream, key, staging, size, beforeCommit, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectStoreException e) when (e.Kind == ObjectStoreErrorKind.PreconditionFailed)
        {
            stream.Abandon();
            throw;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not OperationCanceledException)
        {
            LogStreamFailed(logger, key, e.Message);
            stream.Abandon();
            return null;
        }
        catch
        {
            stream.Abandon();
            throw;
        }

        counters.StreamedUpload();
        if (SameMetadata(stream.Options.Metadata, wanted.Metadata))
        {
            return completed;
        }

        return await store.CopyAsync(key, key, new CopyOptions { ReplaceMetadata = wanted.Metadata, SourceIfMatch = completed.ETag }, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>
    /// Completes the stream. A completion retried after its answer was lost finds the upload gone (S3's NoSuchUpload)
    /// or, with a condition, the object changed: when the object is the stream's own upload, it completed.
    /// </summary>
    private async Task<ObjectInfo> FinishStreamAsync(PartStream stream, string key, StagingFile staging, long size, Action beforeCommit,
        CancellationToken cancellationToken)
    {
        try
        {
            return await stream.FinishAsync(staging, size, beforeCommit, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectStoreException e) when (e.Kind is ObjectStoreErrorKind.PreconditionFailed or ObjectStoreErrorKind.NotFound)
        {
            var current = await store.HeadAsync(key, cancellationToken).ConfigureAwait(false);
            if (UploadIds.IsUpload(current, stream.Options.Metadata?.GetValueOrDefault(UploadIds.MetadataKey), size))
            {
                return current!;
            }

            throw;
        }
    }

    // The upload ids differ (each upload has its own); the attributes decide whether a copy must correct them.
    private static bool SameMetadata(IReadOnlyDictionary<string, string>? a, IReadOnlyDictionary<string, string>? b) =>
        UploadIds.Attributes(a).SequenceEqual(UploadIds.Attributes(b));

    [LoggerMessage(Level = LogLevel.Debug, Message = "Sending {Path} in parts while it is written")]
    private static partial void LogStreamBegun(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The part upload of {Key} failed ({Reason}); uploading the file whole")]
    private static partial void LogStreamFailed(ILogger logger, string key, string reason);
}
