using Microsoft.Win32.SafeHandles;

namespace BucketMount.Engine.Writing;

/// <summary>
/// Copy-on-write of a staging file that a pending journal record names. A closed file over the journal's inline
/// limit is made durable by naming its staging file in the record, so that file's first Size bytes are the closed
/// content recovery uploads after a crash: they are pinned until the upload is done or a newer record replaces
/// the record. A change that would alter pinned bytes (a write below the pinned length, a truncate below it) goes
/// to a new staging file instead, and the pinned one stays, untouched, until a newer record names the new one
/// (then it is deleted) or the file is deleted. Changes past the pinned length (appends) stay in place: recovery
/// reads only the record's Size bytes and cuts the rest.
/// The common paths stay as fast as before: a file written once and closed (untar, a build, a streaming write of
/// any size) is never pinned while it is written; a rewrite with O_TRUNC (the usual way to replace a file) starts
/// the new file empty, copying nothing; appends copy nothing. Only an overwrite inside the closed content of a file
/// still waiting for its upload copies it, cloned by the file system where it can (File.Copy tries a reflink on
/// btrfs and XFS, then copy_file_range): an editor or a database rewriting a large file in place within the
/// write-back delay pays one copy per close, not one per write. Pinning the bytes in the journal instead would
/// write every large file twice.
/// </summary>
internal sealed partial class StagingFile
{
    // Guarded by _gate. The leading bytes a pending journal record promises are this file's content (0: none).
    private long _pinnedLength;

    // Guarded by _gate. The staging file this one replaced while a pending record still named it.
    private StagingFile? _replaced;

    /// <summary>How many leading bytes a pending journal record names as this file's content (0: none, change it in place).</summary>
    public long PinnedLength
    {
        get
        {
            lock (_gate)
            {
                return _pinnedLength;
            }
        }
    }

    /// <summary>
    /// A journal record naming this file for <paramref name="size"/> bytes is durable (one that carries the bytes
    /// itself, <paramref name="inline"/>, pins nothing): those bytes are pinned, and the staging file an older record
    /// named is no longer needed.
    /// </summary>
    public void OnJournaled(long size, bool inline)
    {
        lock (_gate)
        {
            _pinnedLength = inline ? 0 : size;
        }

        ReleaseReplaced();
    }

    /// <summary>The record naming this file is done (its upload landed): it may change in place again.</summary>
    public void Unpin()
    {
        lock (_gate)
        {
            _pinnedLength = 0;
        }
    }

    /// <summary>
    /// The staging file a change beginning at byte <paramref name="changeStart"/> (a write's offset, a truncate's
    /// new length) may alter: this one when the change leaves every pinned byte as it is, else a new one beside it
    /// (empty when the change <paramref name="truncatesToZero"/>, else a clone of this one) that keeps this one
    /// until <see cref="OnJournaled"/> or <see cref="Delete"/>. Caller holds the file's content lock.
    /// </summary>
    public StagingFile ForChange(long changeStart, bool truncatesToZero)
    {
        lock (_gate)
        {
            if (changeStart >= _pinnedLength)
            {
                return this;
            }
        }

        var path = SiblingPath();
        var copy = truncatesToZero ? new StagingFile(path, _descriptors, onDisk: false) : CloneTo(path);
        copy._replaced = this;
        return copy;
    }

    /// <summary>A new name in the same folder, starting like this one's (the file's id), so each file's copies sort together.</summary>
    private string SiblingPath()
    {
        var name = Path.GetFileName(FilePath);
        var stem = name.Split('.')[0];
        return Path.Combine(Path.GetDirectoryName(FilePath)!, $"{stem}.{Guid.NewGuid():N}.data");
    }

    private StagingFile CloneTo(string path)
    {
        lock (_gate)
        {
            if (!_onDisk)
            {
                var inMemory = new StagingFile(path, _descriptors, onDisk: false) { _memory = _memory.AsSpan(0, _memoryLength).ToArray(), _memoryLength = _memoryLength };
                CopyRangesTo(inMemory);
                return inMemory;
            }
        }

        // No lock held: the content lock keeps writers out, and readers may go on reading meanwhile. The clone
        // opens its descriptor when first used.
        File.Copy(FilePath, path);
        var clone = new StagingFile(path, _descriptors, onDisk: true);
        lock (_gate)
        {
            CopyRangesTo(clone);
        }

        return clone;
    }

    /// <summary>Caller holds <see cref="_gate"/>; the clone is not shared yet.</summary>
    private void CopyRangesTo(StagingFile clone)
    {
        foreach (var (start, end) in _present.Ranges)
        {
            clone._present.Add(start, end);
        }
    }

    private void ReleaseReplaced()
    {
        StagingFile? replaced;
        lock (_gate)
        {
            replaced = _replaced;
            _replaced = null;
        }

        replaced?.Delete();
    }
}
