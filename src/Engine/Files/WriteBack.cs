using BucketMount.Backends;
using BucketMount.Engine.Caching;
using BucketMount.Engine.Diagnostics;
using BucketMount.Engine.Namespace;
using BucketMount.Engine.Writing;
using Microsoft.Extensions.Logging;

namespace BucketMount.Engine.Files;

/// <summary>
/// Write-back: makes a closed file durable locally before close returns (a journal record fsynced, carrying a
/// small file's bytes, or naming the staging file fsynced before it), then uploads it after the write-back delay,
/// a few files at a time. A change, rename or delete cancels an upload that cannot have committed yet, or waits for
/// one that may have, so an upload always reads a stable file and never lands after the change. Failed uploads
/// stay in the journal and are retried (see WriteBack.Retry.cs); nothing is dropped.
/// </summary>
internal sealed partial class WriteBack(
    IObjectStore store,
    FileRegistry registry,
    UploadJournal journal,
    MetadataCache cache,
    KeyMapper keys,
    MemoryBlockCache memoryBlocks,
    DiskBlockCache diskBlocks,
    StagingDescriptors descriptors,
    UploadedCopies uploadedCopies,
    EngineOptions options,
    EngineCounters counters,
    StoreHealth health,
    ILogger logger)
{
    private readonly Uploader _uploader = new(store, options.UploadPartSize, options.UploadPartConcurrency, new PartUploadLedger(journal, registry, logger));
    private readonly SemaphoreSlim _uploadSlots = new(options.UploadConcurrency, options.UploadConcurrency);

    // Single-PUT files queue apart from multipart ones: a burst of small files (untar, git) is latency-bound, and
    // must neither wait behind nor starve large uploads.
    private readonly SemaphoreSlim _smallUploadSlots = new(options.SmallUploadConcurrency, options.SmallUploadConcurrency);
    private readonly CancellationTokenSource _shutdown = new();
    private volatile bool _skipDelays;

    /// <summary>
    /// Fetches what the staging file lacks, fsyncs it and writes the journal record. Caller holds the content lock.
    /// After this the file survives a crash: a new engine on the same cache directory finishes its upload.
    /// </summary>
    public async Task MakeDurableLockedAsync(OpenFile file, CancellationToken cancellationToken)
    {
        StagingFile staging;
        ObjectVersion? remote;
        long size;
        lock (file.State)
        {
            if (!file.Dirty || file.Deleted || file.JournaledGeneration == file.Generation || file.Staging is null)
            {
                return;
            }

            staging = file.Staging;
            remote = file.Remote;
            size = file.Size;
        }

        await FillMissingAsync(file, staging, remote, size, cancellationToken).ConfigureAwait(false);

        // A small file's bytes go into its journal record: one fsync (the journal's) makes it durable.
        byte[]? inline = null;
        if (size <= UploadJournal.InlineContentBytes)
        {
            inline = new byte[size];
            await staging.ReadAsync(0, inline, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            staging.FlushToDisk();
        }

        JournalRecord record;
        long generation;
        lock (file.State)
        {
            // A new version of the content or attributes: its uploads carry a new id.
            file.UploadId = UploadIds.New();
            generation = file.Generation;
            record = new JournalRecord
            {
                Id = file.Id,
                Path = file.Path,
                Size = file.Size,
                ModifiedTime = file.ModifiedTime,
                Mode = file.Mode,
                Uid = file.Uid,
                Gid = file.Gid,
                WindowsAttributes = file.WindowsAttributes,
                CreationTime = file.CreationTime,
                ChangeTime = file.ChangeTime,
                AccessTime = file.AccessTime,
                ModifiedTimeSubTickNs = file.ModifiedTimeSubTickNs,
                AccessTimeSubTickNs = file.AccessTimeSubTickNs,
                BaseETag = file.Remote?.ETag,
                StagingFile = staging.FilePath,
                UploadId = file.UploadId,
                KeepAsConflictCopy = file.KeepAsConflictCopy,
            };
        }

        // The append and its fsync happen outside the file's state lock, which stat and listings take: they must
        // not wait for a disk flush. The content lock the caller holds keeps this file's records in order, and
        // nothing changes the file's content or attributes meanwhile.
        journal.Write(record, inline);
        lock (file.State)
        {
            file.JournaledGeneration = generation;
        }

        staging.OnJournaled(size, inline is not null);
    }

    /// <summary>Schedules the upload of a durable file after the write-back delay (now, when <paramref name="immediately"/>).</summary>
    public void Schedule(OpenFile file, bool immediately = false)
    {
        bool clean;
        lock (file.State)
        {
            clean = !file.Dirty && file.Handles == 0;
        }

        if (clean)
        {
            // A clean file someone was done with (a rename of it, say): nothing to upload, nothing to keep.
            ReleaseIfIdle(file);
            return;
        }

        lock (file.State)
        {
            // Open files upload on their last close, except when asked now (fsync): then writers cancel it if they write.
            if (file.Deleted || !file.Dirty || (file.Handles > 0 && !immediately))
            {
                return;
            }

            if (file.Upload is { } existing)
            {
                if (existing.Started || !immediately)
                {
                    return;
                }

                existing.Cancellation.Cancel();
            }

            // The delay lets a save dance (write a temp file, rename it over the original) finish before a byte is
            // sent. A multipart upload needs no such wait: nothing of it is visible before its last byte is read,
            // so a rename cancels it cleanly, and a large file's upload is better started at once.
            var delay = immediately || file.Size > options.UploadPartSize ? TimeSpan.Zero : options.WriteBackDelay;
            var ticket = new UploadTicket { Due = DateTimeOffset.UtcNow + delay };
            file.Upload = ticket;
            counters.UploadScheduled();
            // Started on the thread pool: run inline it would make the file durable (disk I/O) under this lock.
            ticket.Completion = Task.Run(() => RunAsync(file, ticket, delay));
        }
    }

    /// <summary>
    /// Cancels an upload that cannot have committed anything yet, or waits for one that may have, so that no
    /// request of it can land after what the caller does next (a rename or delete of the old key). Caller holds
    /// the content lock.
    /// </summary>
    public async Task CancelUploadLockedAsync(OpenFile file, bool keepSyncDeadline = false)
    {
        UploadTicket? ticket;
        lock (file.State)
        {
            ticket = file.Upload;

            // A change (keepSyncDeadline) leaves an fsync's deadline upload that has not started alone: it takes the
            // content lock before it reads a byte, so it uploads the content as it is then.
            if (keepSyncDeadline && ticket is { ForDeadline: true, Started: false })
            {
                return;
            }

            if (ticket is { Committing: false })
            {
                ticket.Cancellation.Cancel();
            }
        }

        if (ticket is not null)
        {
            await ticket.Completion.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// For a rename or delete, after which the file's key is no longer the one its uploads went to: cancels or waits
    /// for the upload (<see cref="CancelUploadLockedAsync"/>) and abandons the parts sent while it was written.
    /// Caller holds the content lock.
    /// </summary>
    public async Task StopUploadsForOldKeyLockedAsync(OpenFile file)
    {
        await CancelUploadLockedAsync(file).ConfigureAwait(false);
        AbandonStream(file);
    }

    /// <summary>Waits for the file's upload (scheduling it now) and reports its error.</summary>
    public async Task WaitForUploadAsync(OpenFile file, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task completion;
            lock (file.State)
            {
                if (!file.Dirty || file.Deleted)
                {
                    return;
                }

                if (file.Upload is null || !file.Upload.Started)
                {
                    Schedule(file, immediately: true);
                }

                completion = file.Upload?.Completion ?? Task.CompletedTask;
            }

            await completion.WaitAsync(cancellationToken).ConfigureAwait(false);
            lock (file.State)
            {
                if (!file.Dirty || file.Deleted)
                {
                    return;
                }

                if (file.LastError is { } error)
                {
                    throw new FileSystemException(file.LastFailureError, file.Path, "the upload failed: " + error);
                }
            }
        }
    }

    /// <summary>
    /// Forgets a file's local state: journal record, staging file, dirty bytes, parts sent while it was written. For
    /// a <paramref name="deleted"/> file the journal's mark is fsynced: a lost one would bring the file back.
    /// </summary>
    public void Discard(OpenFile file, bool deleted = false)
    {
        AbandonStream(file);
        StagingFile? staging;
        lock (file.State)
        {
            staging = file.Staging;
            file.Staging = null;
            if (file.Dirty)
            {
                counters.AddDirty(-file.Size);
            }

            file.Dirty = false;
        }

        journal.Delete(file.Id, durably: deleted);
        staging?.Delete();
    }

    /// <summary>
    /// A file deleted (or replaced) while still open, its content whole in its staging copy: from now on that copy
    /// is all there is. Its journal record goes now, fsynced, so neither a later upload nor the recovery after a
    /// crash brings the file back; its staging file loses its name in the cache directory (the open copy keeps the
    /// bytes, and the system frees them even if this process dies). It counts as dirty, since the cache must keep
    /// it, until <see cref="Discard"/> at its last close.
    /// </summary>
    public void Orphan(OpenFile file)
    {
        AbandonStream(file);
        StagingFile? staging;
        lock (file.State)
        {
            staging = file.Staging;
            if (!file.Dirty)
            {
                file.Dirty = true;
                counters.AddDirty(file.Size);
            }
        }

        journal.Delete(file.Id, durably: true);
        staging?.Unlink();
    }

    public void Shutdown()
    {
        _shutdown.Cancel();
        journal.Dispose();
    }

    private async Task RunAsync(OpenFile file, UploadTicket ticket, TimeSpan delay)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ticket.Cancellation.Token, _shutdown.Token);
        var token = linked.Token;
        SemaphoreSlim? slot = null;
        try
        {
            if (delay > TimeSpan.Zero && !_skipDelays)
            {
                await Task.Delay(delay, token).ConfigureAwait(false);
            }

            // A file whose close could not make it durable (a failed fetch) is made durable here first. Taking the
            // content lock with the ticket's token keeps the cancel protocol deadlock-free. An upload for an fsync's
            // deadline keeps the lock until it has started: writers do not cancel it (a program writing without pause
            // would cancel it forever), they wait for the lock, then for the upload once it started.
            await LockContentOutsidePauseAsync(file, ticket, token).ConfigureAwait(false);
            var holdingContent = true;
            try
            {
                await MakeDurableLockedAsync(file, token).ConfigureAwait(false);
                if (!ticket.ForDeadline)
                {
                    file.ContentLock.Release();
                    holdingContent = false;
                }

                await UploadOwedJournalFirstAsync(file, token).ConfigureAwait(false);
                long size;
                lock (file.State)
                {
                    size = file.Size;
                }

                var multipart = size > options.UploadPartSize;
                var slots = multipart ? _uploadSlots : _smallUploadSlots;
                if (!ticket.ForDeadline)
                {
                    // (A deadline upload waited out the pause before taking the lock it holds here.)
                    await WaitWhilePausedAsync(token).ConfigureAwait(false);
                }

                await slots.WaitAsync(token).ConfigureAwait(false);
                slot = slots;
                lock (file.State)
                {
                    token.ThrowIfCancellationRequested();
                    ticket.Started = true;
                    ticket.Committing = !multipart || ticket.ForDeadline;
                    // This upload carries every fsync so far: none is owed past it.
                    file.SyncDeadline = null;
                    file.NeverSent = false;
                }
            }
            finally
            {
                if (holdingContent)
                {
                    file.ContentLock.Release();
                }
            }

            await UploadAsync(file, ticket, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Superseded by a change, a rename, a delete or shutdown: whoever cancelled takes over.
        }
        catch (Exception e)
        {
            OnFailed(file, ticket, e);
        }
        finally
        {
            slot?.Release();

            // The file leaves the registry while its ticket still stands, so the drain (which counts a file with an
            // upload as pending) never sees it clean and gone-to-be but still registered.
            ReleaseIfIdle(file, finishing: ticket);
            lock (file.State)
            {
                if (file.Upload == ticket)
                {
                    file.Upload = null;
                }
            }

            // Someone who held the content lock above may have tried meanwhile and seen the ticket.
            ReleaseIfIdle(file);
        }
    }

    /// <summary>
    /// A clean file nobody has open, with no upload, leaves the registry and its staging file goes: its bytes are
    /// in the store, and reads fetch them from there. Without this every file ever written stayed in the registry
    /// (and, before that, in the cache directory) until unmount, and listings scanned them all. Operations that
    /// found the file in the registry check <see cref="OpenFile.Released"/> once they hold its content lock, so
    /// leaving needs that lock; when someone holds it they are changing the file and call this again after.
    /// </summary>
    public void ReleaseIfIdle(OpenFile file, UploadTicket? finishing = null)
    {
        if (!file.ContentLock.Wait(0))
        {
            return;
        }

        StagingFile? staging = null;
        ObjectVersion? keepAs = null;
        try
        {
            // Also a file no longer registered (replaced by another at its path): its staging file goes all the same.
            var released = registry.RemoveIf(file, file =>
            {
                lock (file.State)
                {
                    var uploading = file.Upload is not null && file.Upload != finishing;
                    if (file.Handles > 0 || file.Dirty || file.Deleted || file.Released || uploading || file.Remote is null)
                    {
                        return false;
                    }

                    file.Released = true;
                    return true;
                }
            });
            if (released)
            {
                lock (file.State)
                {
                    staging = file.Staging;
                    file.Staging = null;

                    // Still the bytes that upload sent, and the store still the version it made, as far as we know.
                    if (file.UploadedCopy is { } copy && copy.Generation == file.Generation && file.Remote == copy.Version)
                    {
                        keepAs = copy.Version;
                    }

                    file.UploadedCopy = null;
                }
            }
        }
        finally
        {
            file.ContentLock.Release();
        }

        if (staging is not null && keepAs is { } version)
        {
            uploadedCopies.Adopt(version, staging);
            return;
        }

        staging?.Delete();
    }
}
