namespace BucketMount.Engine.Files;

/// <summary>
/// What an fsync waits for. By default it returns once the file is in the store, with one exception that costs
/// no safety: the rollback journal of a database open on this mount ("NAME-journal" beside an open "NAME", as
/// SQLite names it). SQLite fsyncs that journal twice per transaction only so that a crash in the middle of
/// writing the database can be rolled back; over a store, the database reaches it by one PUT that replaces the
/// whole object, so a half-written database never stands there as long as its uploads carry exactly what an fsync
/// of it saw (a commit). Such a journal's fsync returns once it is durable in the local journal; any other upload
/// of the database (its last close after a crash of the program, an upload under --sync-window while the next
/// transaction is being written) first uploads the journal, so the store then holds it beside the half-written
/// database and SQLite rolls back on the next open. With <see cref="EngineOptions.SyncWindow"/> every fsync
/// returns once the file is durable locally and its upload starts within the window.
/// </summary>
internal sealed partial class WriteBack
{
    /// <summary>The suffix SQLite gives a database's rollback journal.</summary>
    public const string RollbackJournalSuffix = "-journal";

    /// <summary>
    /// Called by fsync once the file is durable locally: true when the fsync may return now (the upload is owed,
    /// see the class summary), false when it must wait for the upload.
    /// </summary>
    public bool DeferSync(OpenFile file)
    {
        var journalOfOpenDatabase = IsRollbackJournalOfOpenDatabase(file.Path);
        lock (file.State)
        {
            file.SyncedGeneration = file.JournaledGeneration;
            if (!file.Dirty || file.Deleted)
            {
                return false;
            }

            if (journalOfOpenDatabase)
            {
                file.SyncOwed = true;
                return true;
            }

            if (options.SyncWindow <= TimeSpan.Zero)
            {
                return false;
            }

            file.SyncOwed = true;
            file.SyncDeadline ??= DateTimeOffset.UtcNow + options.SyncWindow;
            ArmSyncDeadlineLocked(file, file.SyncDeadline.Value);
            return true;
        }
    }

    /// <summary>
    /// After a change of a file with an fsync's upload still owed under --sync-window: the change cancelled the
    /// upload waiting for its time, so it is armed again for the same deadline (changes never push it back).
    /// </summary>
    public void RearmSyncDeadline(OpenFile file)
    {
        lock (file.State)
        {
            if (file.SyncDeadline is { } deadline && file.Upload is null && file.Dirty && !file.Deleted)
            {
                ArmSyncDeadlineLocked(file, deadline);
            }
        }
    }

    private void ArmSyncDeadlineLocked(OpenFile file, DateTimeOffset deadline)
    {
        if (file.Upload is { } existing)
        {
            if (existing.Started || existing.Due <= deadline)
            {
                return;
            }

            existing.Cancellation.Cancel();
        }

        var ticket = new UploadTicket { Due = deadline, ForDeadline = true };
        file.Upload = ticket;
        counters.UploadScheduled();
        var delay = deadline - DateTimeOffset.UtcNow;
        ticket.Completion = Task.Run(() => RunAsync(file, ticket, delay > TimeSpan.Zero ? delay : TimeSpan.Zero));
    }

    /// <summary>
    /// Before an upload of a database whose content is not what an fsync of it saw (it may be half-written): its
    /// rollback journal, when an fsync of that was deferred and it still exists here, goes to the store first.
    /// </summary>
    private async Task UploadOwedJournalFirstAsync(OpenFile file, CancellationToken cancellationToken)
    {
        string path;
        lock (file.State)
        {
            if (file.Generation == file.SyncedGeneration)
            {
                return;
            }

            path = file.Path;
        }

        if (registry.Find(path + RollbackJournalSuffix) is not { } journalFile || journalFile == file)
        {
            return;
        }

        lock (journalFile.State)
        {
            if (!journalFile.SyncOwed || !journalFile.Dirty || journalFile.Deleted)
            {
                return;
            }
        }

        await WaitForUploadAsync(journalFile, cancellationToken).ConfigureAwait(false);
    }

    private bool IsRollbackJournalOfOpenDatabase(string path)
    {
        if (!path.EndsWith(RollbackJournalSuffix, StringComparison.Ordinal) || path.Length == RollbackJournalSuffix.Length
            || registry.Find(path[..^RollbackJournalSuffix.Length]) is not { } database)
        {
            return false;
        }

        lock (database.State)
        {
            return database.Handles > 0 && !database.Deleted;
        }
    }
}
