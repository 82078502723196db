using BucketMount.Engine.Diagnostics;

using BucketMount.Engine;
using BucketMount.Engine.Hosting;

namespace BucketMount.Hosting;

/// <summary>What an unmount has done and left: who still used the mount, and what is not in the store.</summary>
/// <param name="StillInUse">Programs that used the mount when it was detached (lazily); empty when it was free.</param>
/// <param name="LeftInJournal">Closed files not uploaded (a forced unmount): in the cache's journal, uploaded by the next mount of that cache.</param>
/// <param name="Dropped">Files written and never closed by their program: their unfinished changes were not uploaded.</param>
public sealed record UnmountResult(IReadOnlyList<MountHolder> StillInUse, IReadOnlyList<PendingChange> LeftInJournal, IReadOnlyList<string> Dropped)
{
    /// <summary>Every change is in the store.</summary>
    public bool Complete => LeftInJournal.Count == 0 && Dropped.Count == 0;
}

/// <summary>The drain's progress: uploads, and the files it waits on because programs are still writing them.</summary>
public sealed record DrainProgress(UploadProgress Uploads, IReadOnlyList<PendingChange> BeingWritten);

public sealed partial class MountedBucket
{
    /// <summary>How often the drain looks again at files being written, while it waits for their programs to close them.</summary>
    private static readonly TimeSpan WriterPollInterval = TimeSpan.FromMilliseconds(250);

    private int _detached;
    private volatile bool _finished;

    /// <summary>
    /// While still mounted: uploads every closed change and waits for every file a program is writing to be closed,
    /// then uploads that too, until nothing is pending. A file open for writing is never uploaded as if complete, so
    /// this waits for its program (the progress names it); cancel to stop waiting. Programs may keep working
    /// meanwhile. Throws <see cref="FileSystemException"/> when uploads failed for good.
    /// </summary>
    public async Task DrainAsync(IProgress<DrainProgress>? progress, CancellationToken cancellationToken)
    {
        while (true)
        {
            // Checked first: a drain cancelled before it begins must not schedule a single upload.
            cancellationToken.ThrowIfCancellationRequested();
            var beingWritten = BeingWritten();
            await Engine.WaitForUploadsAsync(progress is null ? null : new UploadToDrainProgress(progress, beingWritten), cancellationToken).ConfigureAwait(false);
            // A file closed by its writer but still open elsewhere (a reader) is journaled and uploads at its last
            // close, which may come after the detach: the host serves its program until then.
            if (Engine.PendingChanges().All(c => c.State == PendingState.HeldOpen))
            {
                return;
            }

            await Task.Delay(WriterPollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Removes the mount from the directory tree. When programs still use it, they keep working there (the host
    /// serves them until they let go) and are returned.
    /// </summary>
    public IReadOnlyList<MountHolder> Detach() =>
        Interlocked.Exchange(ref _detached, 1) == 0 ? _host.Detach() : [];

    /// <summary>
    /// After <see cref="Detach"/>: waits until the last program inside has let go, uploads what was written
    /// meanwhile, and releases the cache and the store. Returns files written and never closed (a connection cut
    /// from outside), whose unfinished changes were not uploaded.
    /// </summary>
    public async Task<IReadOnlyList<string>> FinishAsync(IProgress<DrainProgress>? progress, CancellationToken cancellationToken)
    {
        await _host.Stopped.WaitAsync(cancellationToken).ConfigureAwait(false);
        var dropped = _host.Close();
        try
        {
            // Nobody is inside any more, so nothing is being written: the progress is the uploads'.
            await Engine.ShutdownAsync(progress is null ? null : new UploadToDrainProgress(progress, []), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _finished = true;
            await _store.DisposeAsync().ConfigureAwait(false);
        }

        return dropped;
    }

    /// <summary>
    /// A forced end: detaches without waiting for anything and says what is not in the store. Closed files stay in
    /// the cache's journal (the next mount of that cache uploads them); changes of files still open are dropped.
    /// The host stops serving programs still inside once the process exits.
    /// </summary>
    public async Task<UnmountResult> AbandonAsync()
    {
        var holders = Detach();
        var dropped = _host.Close();
        var journaled = Engine.PendingChanges().Where(c => c.State != PendingState.BeingWritten && !dropped.Contains(c.Path)).ToList();
        _finished = true;
        await _store.DisposeAsync().ConfigureAwait(false);
        return new UnmountResult(holders, journaled, dropped);
    }

    private List<PendingChange> BeingWritten() => [.. Engine.PendingChanges().Where(c => c.State == PendingState.BeingWritten)];

    private sealed class UploadToDrainProgress(IProgress<DrainProgress> progress, IReadOnlyList<PendingChange> beingWritten) : IProgress<UploadProgress>
    {
        public void Report(UploadProgress value) => progress.Report(new DrainProgress(value, beingWritten));
    }

    private sealed class DrainToUploadProgress(IProgress<UploadProgress> progress) : IProgress<DrainProgress>
    {
        public void Report(DrainProgress value) => progress.Report(value.Uploads);
    }
}
