using BucketMount.Engine.Caching;
using BucketMount.Engine.Namespace;
using BucketMount.Engine.Writing;

namespace BucketMount.Engine.Files;

/// <summary>
/// One file that is open, dirty or uploading: the single owner of its data and dirtiness, shared by all its
/// handles (handles are views). Lock order: <see cref="FileRegistry"/>'s lock, then <see cref="ContentLock"/>
/// (async: serializes changes to the content), then <see cref="State"/> (brief, never held across an await).
/// The uploader never takes <see cref="ContentLock"/>, so a writer may cancel and await an upload while holding it.
/// </summary>
internal sealed class OpenFile(long id, string path)
{
    public long Id { get; } = id;

    /// <summary>A file as the store holds it: that version, and the attributes the store keeps with it.</summary>
    public static OpenFile FromStored(long id, string path, ObjectVersion stored, NodeInfo node) => new(id, path)
    {
        Remote = stored,
        Size = stored.Size,
        ModifiedTime = node.ModifiedTime,
        Mode = node.Mode,
        Uid = node.Uid,
        Gid = node.Gid,
        WindowsAttributes = node.WindowsAttributes,
        CreationTime = node.CreationTime,
        ChangeTime = node.ChangeTime,
        AccessTime = node.AccessTime,
        ModifiedTimeSubTickNs = node.ModifiedTimeSubTickNs,
        AccessTimeSubTickNs = node.AccessTimeSubTickNs,
    };

    /// <summary>Serializes writes, truncates, renames and making the file durable.</summary>
    public SemaphoreSlim ContentLock { get; } = new(1, 1);

    /// <summary>Guards every mutable field below.</summary>
    public object State { get; } = new();

    public string Path { get; set; } = path;

    /// <summary>The store version the local content is based on; null for a file not in the store yet.</summary>
    public ObjectVersion? Remote { get; set; }

    public StagingFile? Staging { get; set; }

    public long Size { get; set; }

    public DateTimeOffset ModifiedTime { get; set; }

    public int? Mode { get; set; }

    public int? Uid { get; set; }

    public int? Gid { get; set; }

    public int? WindowsAttributes { get; set; }

    public DateTimeOffset? CreationTime { get; set; }

    /// <summary>Set with every change of content, attributes, name or link count (null for a stored file that never had one).</summary>
    public DateTimeOffset? ChangeTime { get; set; }

    /// <summary>Moved by reads as the relatime policy says (<see cref="AccessTimes"/>), kept with the next upload or copy.</summary>
    public DateTimeOffset? AccessTime { get; set; }

    /// <summary>Nanoseconds of <see cref="ModifiedTime"/> below its 100 ns tick; 0 whenever the mount sets the time itself.</summary>
    public int ModifiedTimeSubTickNs { get; set; }

    /// <summary>Nanoseconds of <see cref="AccessTime"/> below its 100 ns tick.</summary>
    public int AccessTimeSubTickNs { get; set; }

    /// <summary>The attributes kept with the content in the store's metadata.</summary>
    public KnownAttributes Attributes => new(ModifiedTime, Mode, Uid, Gid, WindowsAttributes, CreationTime, Rdev: null, ChangeTime, AccessTime, ModifiedTimeSubTickNs, AccessTimeSubTickNs);

    /// <summary>Local content or attributes differ from <see cref="Remote"/>.</summary>
    public bool Dirty { get; set; }

    /// <summary>Bumped by every change, so an upload that raced a change does not mark the file clean.</summary>
    public long Generation { get; set; }

    /// <summary>
    /// Set when an upload of <see cref="Staging"/>'s bytes, sent as they were at that generation, landed as that
    /// stored version with nothing in between: while the file is still at that generation and version, the copy
    /// may become the version's clean cache blocks when the file leaves the registry (<see cref="UploadedCopies"/>).
    /// </summary>
    public (ObjectVersion Version, long Generation)? UploadedCopy { get; set; }

    /// <summary>
    /// Bytes were ever written to it here (a truncate to zero does not count): a close of a new, empty file then
    /// still makes it durable, since it was written and emptied, not merely created.
    /// </summary>
    public bool EverWritten { get; set; }

    /// <summary>The generation whose content is durable in the journal (close has returned for it).</summary>
    public long JournaledGeneration { get; set; } = -1;

    public int Handles { get; set; }

    /// <summary>The scheduled or running upload, if any.</summary>
    public UploadTicket? Upload { get; set; }

    /// <summary>
    /// The generation the last fsync made durable: an upload of exactly that content is a state the program chose
    /// (a database's commit) and need not wait for the file's rollback journal (see WriteBack.SyncDeferral.cs).
    /// </summary>
    public long SyncedGeneration { get; set; } = -1;

    /// <summary>
    /// An fsync of this file returned with it durable only in the local journal (a database's rollback journal, or
    /// any file under --sync-window): whatever else needs it in the store first uploads it.
    /// </summary>
    public bool SyncOwed { get; set; }

    /// <summary>
    /// Created here and no byte of it ever sent (no upload or part stream began): deleting it needs no request, as
    /// with a database's rollback journal created and deleted in every transaction.
    /// </summary>
    public bool NeverSent { get; set; }

    /// <summary>Under --sync-window: when the content an fsync returned for must be in the store at the latest.</summary>
    public DateTimeOffset? SyncDeadline { get; set; }

    /// <summary>The upload sending this file's parts while it is written, if one runs (see <see cref="PartStream"/>).</summary>
    public PartStream? Stream { get; set; }

    /// <summary>The content began empty and has only been appended to since: it may be streamed.</summary>
    public bool StreamCandidate { get; set; }

    /// <summary>The last upload error, shown by status; cleared by a successful upload.</summary>
    public string? LastError { get; set; }

    /// <summary>Uploads of this file that failed in a row; the pause before the next try grows with it. Reset by a success.</summary>
    public int ConsecutiveFailures { get; set; }

    /// <summary>The last failure was one retrying cannot fix by itself (access denied, invalid argument), not an outage.</summary>
    public bool LastFailurePermanent { get; set; }

    /// <summary>What an fsync waiting for the failed upload reports (ENAMETOOLONG for a name the store refused as too long, else EIO).</summary>
    public FsError LastFailureError { get; set; } = FsError.IoError;

    /// <summary>
    /// Passing failures of this file in a row, each after the store had answered other requests since the one before:
    /// a store that fails one key forever (s3rver drops the connection on a 255-byte name) while it serves the rest.
    /// </summary>
    public int FailuresWhileStoreAnswers { get; set; }

    /// <summary><see cref="StoreHealth.Answers"/> when this file's upload last failed.</summary>
    public long StoreAnswersAtLastFailure { get; set; }

    /// <summary>Orders failures: the drain at unmount counts only those that happened after it started.</summary>
    public long LastFailureSequence { get; set; }

    /// <summary>A retry after a failure is waiting for its pause (or the store's return): nobody else need schedule one.</summary>
    public bool RetryPending { get; set; }

    /// <summary>
    /// The id the upload of the journaled generation carries in its metadata (<see cref="UploadIds"/>): a new one for
    /// each journaled generation, the same for every retry of it.
    /// </summary>
    public string? UploadId { get; set; }

    /// <summary>
    /// Ids of uploads of earlier generations (and streams) whose outcome was never confirmed: one of them may stand
    /// in the store as our own version. Cleared once an upload is confirmed.
    /// </summary>
    public HashSet<string> UnconfirmedUploadIds { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The version this file was partly rewritten on changed in the store before the rest of its bytes were fetched,
    /// so our version cannot be rebuilt: the rest was taken from theirs, and the upload goes beside the original as a
    /// conflict copy, whatever the conflict policy.
    /// </summary>
    public bool KeepAsConflictCopy { get; set; }

    /// <summary>Set once the file was deleted: late uploads and handles must not resurrect it.</summary>
    public bool Deleted { get; set; }

    /// <summary>
    /// Set, under the content lock, when the file left the registry clean and unused: it is a plain store object
    /// again. Whoever found it in the registry before must check this after taking the content lock (or, to add a
    /// handle, under <see cref="State"/>) and look the path up again.
    /// </summary>
    public bool Released { get; set; }

    public NodeInfo ToNode() => new(Namespace.FsPath.Name(Path), NodeKind.File, Size, ModifiedTime, Mode, Uid, Gid)
    {
        ETag = Dirty ? null : Remote?.ETag,
        IsDirty = Dirty,
        WindowsAttributes = WindowsAttributes,
        CreationTime = CreationTime,
        ChangeTime = ChangeTime,
        AccessTime = AccessTime,
        ModifiedTimeSubTickNs = ModifiedTimeSubTickNs,
        AccessTimeSubTickNs = AccessTimeSubTickNs,
    };
}

/// <summary>A scheduled or running upload of one file; cancelling it stops the transfer (and aborts its parts).</summary>
internal sealed class UploadTicket
{
    public CancellationTokenSource Cancellation { get; } = new();

    /// <summary>Completes when the upload has stopped, however it ended; never faults.</summary>
    public Task Completion { get; set; } = Task.CompletedTask;

    /// <summary>Set when the transfer started (after the write-back delay): an immediate request need not restart it.</summary>
    public bool Started { get; set; }

    /// <summary>
    /// Set once the store may make the object visible: a single PUT from its start, a multipart upload once its
    /// last byte was read (its completing request follows the parts). Until then a cancel commits nothing, so a
    /// rename or change cancels the upload instead of waiting for it.
    /// </summary>
    public bool Committing { get; set; }

    /// <summary>When the transfer is due to start (after the write-back delay, or an fsync's --sync-window deadline).</summary>
    public DateTimeOffset Due { get; init; }

    /// <summary>
    /// Armed for an fsync's --sync-window deadline: once started, writers wait for it rather than cancel it (even a
    /// multipart one), so a program that keeps writing cannot keep its fsynced content out of the store.
    /// </summary>
    public bool ForDeadline { get; init; }
}
