using System.Buffers;
using BucketMount.Backends;
using BucketMount.Engine.Caching;
using BucketMount.Engine.Writing;
using Microsoft.Extensions.Logging;

namespace BucketMount.Engine.Files;

/// <summary>
/// The upload itself: sends a file's staged bytes (filling ranges it never fetched from the version it replaces),
/// under the condition its journal record names, and on success records the new version and keeps the bytes as
/// clean cached data of that version (read-after-write costs no request).
/// </summary>
internal sealed partial class WriteBack
{
    private async Task UploadAsync(OpenFile file, UploadTicket ticket, CancellationToken cancellationToken)
    {
        string path;
        long generation;
        long size;
        StagingFile staging;
        PartStream? stream;
        PutOptions wanted;
        string uploadId;
        bool asConflictCopy;
        lock (file.State)
        {
            if (!file.Dirty || file.Deleted || file.Staging is null || file.JournaledGeneration != file.Generation)
            {
                return;
            }

            path = file.Path;
            generation = file.Generation;
            size = file.Size;
            staging = file.Staging;
            uploadId = file.UploadId ??= UploadIds.New();
            wanted = UploadOptionsFor(file);
            wanted = wanted with { Metadata = UploadIds.With(wanted.Metadata, uploadId) };
            asConflictCopy = file.KeepAsConflictCopy;

            // Until an answer confirms it, this upload may land unseen (a lost response): a later 412 may be it.
            file.UnconfirmedUploadIds.Add(uploadId);

            // This upload takes the stream over: writes after it start content a new stream may send.
            stream = file.Stream;
            file.Stream = null;
        }

        var key = keys.ToKey(path);
        ObjectInfo uploaded;
        var oursMovedAside = false;

        // True when the store's answer was to our request carrying exactly the staging copy's bytes (no conflict
        // handling in between): only then is its ETag known to name those bytes.
        var sentAsIs = !asConflictCopy;
        if (asConflictCopy)
        {
            stream?.Abandon();
            (uploaded, oursMovedAside) = await KeepPartialRewriteBesideAsync(path, key, staging, size, wanted.Metadata!, uploadId, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            try
            {
                uploaded = (stream is null ? null : await TryFinishStreamAsync(stream, key, staging, size, wanted,
                        () => OnLastByteRead(file, ticket), cancellationToken).ConfigureAwait(false))
                    ?? await _uploader.TransferAsync(key, staging, size, wanted.Metadata!, wanted.IfMatch, wanted.IfNoneMatch,
                        () => OnLastByteRead(file, ticket), cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectStoreException e) when (e.Kind == ObjectStoreErrorKind.PreconditionFailed)
            {
                sentAsIs = false;
                (uploaded, oursMovedAside) = await AfterPreconditionFailedAsync(file, path, key, staging, size, wanted.Metadata!, uploadId, cancellationToken)
                    .ConfigureAwait(false);
            }
        }

        counters.UploadSucceeded(size);
        OnSucceeded();
        lock (file.State)
        {
            file.LastError = null;
            file.UnconfirmedUploadIds.Clear();
            file.ConsecutiveFailures = 0;
            file.FailuresWhileStoreAnswers = 0;
            file.LastFailurePermanent = false;
            file.LastFailureError = FsError.IoError;
            if (file.Deleted || file.Path != path)
            {
                return;
            }

            var wasVersion = file.Remote;
            if (file.Generation != generation)
            {
                // Changed while the upload ran (an attribute change waits for an upload that may have landed): the
                // store holds our upload now, so the next upload of the file must be conditioned on it, not on the
                // version before, or our own upload would count as someone else's change. After a conflict that
                // kept theirs under the name, the change is still based on ours: leave it to meet theirs again.
                if (!oursMovedAside)
                {
                    file.Remote = new ObjectVersion(key, uploaded.ETag, uploaded.Size);
                }

                return;
            }

            file.Remote = new ObjectVersion(key, uploaded.ETag, uploaded.Size);
            file.UploadedCopy = sentAsIs && !string.IsNullOrEmpty(uploaded.ETag) && uploaded.Size == size && file.Staging == staging
                ? (file.Remote.Value, generation)
                : null;
            file.Dirty = false;
            file.KeepAsConflictCopy = false;
            counters.AddDirty(-size);
            if (wasVersion is { } old)
            {
                memoryBlocks.Remove(old);
                diskBlocks.Remove(old);
            }
        }

        LogUploaded(logger, path, uploaded.Size);
        journal.Delete(file.Id);
        staging.Unpin();
        if (oursMovedAside)
        {
            // The path shows their version now; our bytes live under the conflict name.
            lock (file.State)
            {
                file.Size = uploaded.Size;
                file.Staging?.Delete();
                file.Staging = null;
            }

            cache.Invalidate(path);
        }
        else
        {
            cache.SetAttributes(key, uploaded.ETag, file.Attributes);
            cache.OnChanged(path, file.ToNode());
        }
    }

    /// <summary>
    /// The multipart upload read its last byte: from now on its completing request may land, so a rename or
    /// change waits for it instead of cancelling. A cancel that came first wins: the last part is never sent.
    /// </summary>
    private static void OnLastByteRead(OpenFile file, UploadTicket ticket)
    {
        lock (file.State)
        {
            ticket.Cancellation.Token.ThrowIfCancellationRequested();
            ticket.Committing = true;
        }
    }

    private async Task FillAsync(StagingFile staging, ObjectVersion remote, long start, long end, CancellationToken cancellationToken)
    {
        const int chunk = 4 * 1024 * 1024;
        var buffer = ArrayPool<byte>.Shared.Rent(chunk);
        try
        {
            var readOptions = store.Capabilities.ConditionalReads ? new ReadOptions { IfMatch = remote.ETag } : null;
            for (var offset = start; offset < end;)
            {
                var wanted = (int)Math.Min(chunk, end - offset);
                var read = await store.ReadAsync(remote.Key, offset, buffer.AsMemory(0, wanted), readOptions, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    // Without conditional reads a shrunken object shows here: the rest becomes zeros, as after a grow.
                    buffer.AsSpan(0, wanted).Clear();
                    read = wanted;
                }

                await staging.WriteAsync(offset, buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                offset += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Uploaded '{Path}' ({Size} bytes)")]
    private static partial void LogUploaded(ILogger logger, string path, long size);
}
