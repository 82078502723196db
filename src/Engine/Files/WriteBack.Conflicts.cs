using BucketMount.Backends;
using BucketMount.Engine.Caching;
using BucketMount.Engine.Namespace;
using BucketMount.Engine.Writing;
using Microsoft.Extensions.Logging;

namespace BucketMount.Engine.Files;

/// <summary>
/// When a conditional upload fails: telling our own write (a retry whose first response was lost) from someone
/// else's change, applying the conflict policy to a real one, and naming conflict copies so none replaces another.
/// </summary>
internal sealed partial class WriteBack
{
    // Each round needs the object to change again under us between a HEAD and the upload that follows it.
    private const int OwnVersionRounds = 3;

    // Each attempt needs another conflict copy of the same file made in the same second.
    private const int ConflictNameAttempts = 100;

    /// <summary>
    /// A conditional upload of the file failed. When the object in the store is this very upload (the store acted,
    /// its answer was lost, and the retry found the condition no longer true), it succeeded. When it is an earlier
    /// upload of ours whose answer we never saw, ours replaces it. Anything else is someone else's change.
    /// </summary>
    private async Task<(ObjectInfo Uploaded, bool OursMovedAside)> AfterPreconditionFailedAsync(OpenFile file, string path, string key,
        StagingFile staging, long size, IReadOnlyDictionary<string, string> metadata, string uploadId, CancellationToken cancellationToken)
    {
        for (var round = 0; round < OwnVersionRounds; round++)
        {
            var current = await store.HeadAsync(key, cancellationToken).ConfigureAwait(false);
            if (UploadIds.IsUpload(current, uploadId, size))
            {
                LogOwnWriteAnsweredTwice(logger, path);
                return (current!, false);
            }

            bool earlierOfOurs;
            lock (file.State)
            {
                earlierOfOurs = UploadIds.Of(current) is { } id && file.UnconfirmedUploadIds.Contains(id);
            }

            if (!earlierOfOurs)
            {
                break;
            }

            try
            {
                var replaced = await _uploader.TransferAsync(key, staging, size, metadata, current!.ETag, ifNoneMatch: false, null, cancellationToken).ConfigureAwait(false);
                return (replaced, false);
            }
            catch (ObjectStoreException e) when (e.Kind == ObjectStoreErrorKind.PreconditionFailed)
            {
                // Changed again since the HEAD (or this answer was lost too): look again.
            }
        }

        return await ResolveConflictAsync(path, key, staging, size, metadata, uploadId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Someone else changed the object since we opened it: apply the configured policy.</summary>
    private async Task<(ObjectInfo Uploaded, bool OursMovedAside)> ResolveConflictAsync(string path, string key, StagingFile staging, long size,
        IReadOnlyDictionary<string, string> metadata, string uploadId, CancellationToken cancellationToken)
    {
        counters.Conflict();
        if (options.ConflictPolicy == ConflictPolicy.KeepBoth)
        {
            var conflictKey = await UploadConflictCopyAsync(key, staging, size, metadata, uploadId, cancellationToken).ConfigureAwait(false);
            LogConflictKeptBoth(logger, path, conflictKey);
            counters.RecordError($"'{path}' changed in the store since it was opened; ours was kept as '{conflictKey}'");
            cache.InvalidateListing(FsPath.Parent(path));
            if (await store.HeadAsync(key, cancellationToken).ConfigureAwait(false) is { } theirs)
            {
                return (theirs, true);
            }
        }
        else
        {
            LogConflictOverwritten(logger, path);
            counters.RecordError($"'{path}' changed in the store since it was opened; our version replaced it");
        }

        var ours = await _uploader.TransferAsync(key, staging, size, metadata, null, ifNoneMatch: false, null, cancellationToken).ConfigureAwait(false);
        return (ours, false);
    }

    /// <summary>
    /// Uploads the file beside <paramref name="key"/> under a conflict name no object has: created only if absent
    /// (If-None-Match, or a HEAD first where the store cannot check that), the next name when one is taken.
    /// </summary>
    private async Task<string> UploadConflictCopyAsync(string key, StagingFile staging, long size, IReadOnlyDictionary<string, string> metadata,
        string uploadId, CancellationToken cancellationToken)
    {
        var when = DateTimeOffset.UtcNow;
        var conditional = store.Capabilities.ConditionalWrites;
        for (var attempt = 1; attempt <= ConflictNameAttempts; attempt++)
        {
            var name = ConflictNames.For(key, when, attempt);
            if (!conditional && await store.HeadAsync(name, cancellationToken).ConfigureAwait(false) is not null)
            {
                continue;
            }

            try
            {
                await _uploader.TransferAsync(name, staging, size, metadata, null, ifNoneMatch: true, null, cancellationToken).ConfigureAwait(false);
                return name;
            }
            catch (ObjectStoreException e) when (e.Kind == ObjectStoreErrorKind.PreconditionFailed)
            {
                // Taken: by another conflict copy, or by this one when the answer to our first try was lost.
                if (UploadIds.IsUpload(await store.HeadAsync(name, cancellationToken).ConfigureAwait(false), uploadId, size))
                {
                    return name;
                }
            }
        }

        throw new ObjectStoreException(ObjectStoreErrorKind.PreconditionFailed,
            $"{ConflictNameAttempts} conflict copies of it were made in the same second; the next try picks a new name.", store.Description, key);
    }

    /// <summary>
    /// Fetches what the staging file lacks from the version the file was opened at. When that version is no longer
    /// in the store (someone else replaced it after we changed only part of the file), our version cannot be
    /// rebuilt: the rest is taken from theirs, and the file is marked to go beside the original as a conflict copy,
    /// so that neither their version nor the bytes we wrote are lost.
    /// </summary>
    private async Task FillMissingAsync(OpenFile file, StagingFile staging, ObjectVersion? remote, long size, CancellationToken cancellationToken)
    {
        for (var round = 0; ; round++)
        {
            try
            {
                foreach (var (start, end) in staging.Missing(0, size))
                {
                    await FillAsync(staging, remote!.Value, start, end, cancellationToken).ConfigureAwait(false);
                }

                return;
            }
            catch (ObjectStoreException e) when (e.Kind == ObjectStoreErrorKind.PreconditionFailed && round < OwnVersionRounds)
            {
                var theirs = await store.HeadAsync(remote!.Value.Key, cancellationToken).ConfigureAwait(false);
                if (theirs is null)
                {
                    throw;
                }

                remote = new ObjectVersion(remote.Value.Key, theirs.ETag, theirs.Size);
                lock (file.State)
                {
                    file.Remote = remote;
                    file.KeepAsConflictCopy = true;
                }

                LogPartialRewriteLostItsBase(logger, file.Path);
            }
        }
    }

    /// <summary>Uploads a file marked <see cref="OpenFile.KeepAsConflictCopy"/>: beside the original, which stays.</summary>
    private async Task<(ObjectInfo Uploaded, bool OursMovedAside)> KeepPartialRewriteBesideAsync(string path, string key, StagingFile staging, long size,
        IReadOnlyDictionary<string, string> metadata, string uploadId, CancellationToken cancellationToken)
    {
        counters.Conflict();
        var conflictKey = await UploadConflictCopyAsync(key, staging, size, metadata, uploadId, cancellationToken).ConfigureAwait(false);
        LogPartialRewriteKeptBeside(logger, path, conflictKey);
        counters.RecordError($"'{path}' changed in the store while part of it was rewritten here; ours was kept as '{conflictKey}'");
        cache.InvalidateListing(FsPath.Parent(path));
        if (await store.HeadAsync(key, cancellationToken).ConfigureAwait(false) is { } theirs)
        {
            return (theirs, true);
        }

        // Theirs was deleted since: the name is free, and ours takes it too.
        var ours = await _uploader.TransferAsync(key, staging, size, metadata, null, ifNoneMatch: true, null, cancellationToken).ConfigureAwait(false);
        return (ours, false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "'{Path}' changed in the store since it was opened; our version replaced it (conflict policy: last writer wins)")]
    private static partial void LogConflictOverwritten(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "'{Path}' changed in the store since it was opened; ours was kept as '{ConflictKey}' (conflict policy: keep both)")]
    private static partial void LogConflictKeptBoth(ILogger logger, string path, string conflictKey);

    [LoggerMessage(Level = LogLevel.Debug, Message = "'{Path}': the store refused a retried upload because the first try had landed; it is ours, not a conflict")]
    private static partial void LogOwnWriteAnsweredTwice(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "'{Path}' changed in the store while part of it was rewritten here, and the version it was opened at is gone: the rest of the file is taken from the new version, and ours will be kept beside it as a conflict copy")]
    private static partial void LogPartialRewriteLostItsBase(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "'{Path}' changed in the store while part of it was rewritten here; theirs stays under the name, ours (our changes over their bytes) was kept as '{ConflictKey}'")]
    private static partial void LogPartialRewriteKeptBeside(ILogger logger, string path, string conflictKey);
}
