namespace BucketMount.Dokan.Ntfs;

/// <summary>
/// What Windows tracks per open file object across handles that the driver leaves to the file system: share
/// modes (a new open that conflicts with an open handle's access or share mode gets STATUS_SHARING_VIOLATION)
/// and byte-range locks. Delete-pending is the driver's: it refuses new opens of a delete-pending object itself
/// and says in the last handle's Cleanup (DOKAN_FILE_INFO.DeletePending) whether the object goes, which it may
/// not even after DeleteFile said yes (STATUS_CANNOT_DELETE for an .exe running from the drive). Keyed by path,
/// compared case-insensitively on a case-insensitive mount.
/// </summary>
internal sealed class OpenObjects(bool caseInsensitive)
{
    private readonly object _lock = new();
    private readonly Dictionary<string, OpenObject> _objects = new(caseInsensitive ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);

    /// <summary>Registers <paramref name="handle"/> unless it conflicts; returns the NTSTATUS of the check.</summary>
    public int TryAdd(NtfsHandle handle)
    {
        lock (_lock)
        {
            if (_objects.TryGetValue(handle.Path, out var existing))
            {
                if (existing.Handles.Any(other => Conflicts(other, handle)))
                {
                    return NtStatus.SharingViolation;
                }
            }
            else
            {
                existing = new OpenObject();
                _objects.Add(handle.Path, existing);
            }

            existing.Handles.Add(handle);
            return NtStatus.Success;
        }
    }

    /// <summary>True when a handle other than <paramref name="except"/> has <paramref name="path"/> open (a rename may not replace it).</summary>
    public bool IsOpenByOthers(string path, NtfsHandle? except)
    {
        lock (_lock)
        {
            return _objects.TryGetValue(path, out var existing) && existing.Handles.Any(h => h != except);
        }
    }

    /// <summary>
    /// Removes <paramref name="handle"/> (its Cleanup) and releases its locks. Returns how many other handles
    /// still have the object open (the driver only says delete on the last one; a count above 0 then means the
    /// two disagree, and the engine keeps the data for those handles).
    /// </summary>
    public int Remove(NtfsHandle handle)
    {
        lock (_lock)
        {
            if (!_objects.TryGetValue(handle.Path, out var existing))
            {
                return 0;
            }

            existing.Handles.Remove(handle);
            existing.Locks.RemoveAll(l => l.Owner == handle);
            if (existing.Handles.Count > 0)
            {
                return existing.Handles.Count;
            }

            _objects.Remove(handle.Path);
            return 0;
        }
    }

    /// <summary>Moves a handle's registration after MoveFile renamed its object.</summary>
    public void Rename(NtfsHandle handle, string newPath)
    {
        lock (_lock)
        {
            if (_objects.TryGetValue(handle.Path, out var existing))
            {
                existing.Handles.Remove(handle);
                if (existing.Handles.Count == 0)
                {
                    _objects.Remove(handle.Path);
                }
            }

            handle.Path = newPath;
            if (!_objects.TryGetValue(newPath, out var target))
            {
                target = new OpenObject();
                _objects.Add(newPath, target);
            }

            target.Handles.Add(handle);
        }
    }

    public int Lock(NtfsHandle handle, long offset, long length)
    {
        lock (_lock)
        {
            var existing = Object(handle);
            if (existing.Locks.Any(l => l.Overlaps(offset, length)))
            {
                return NtStatus.LockNotGranted;
            }

            existing.Locks.Add(new ByteRange(handle, offset, length));
            return NtStatus.Success;
        }
    }

    public int Unlock(NtfsHandle handle, long offset, long length)
    {
        lock (_lock)
        {
            var existing = Object(handle);
            var index = existing.Locks.FindIndex(l => l.Owner == handle && l.Offset == offset && l.Length == length);
            if (index < 0)
            {
                return NtStatus.RangeNotLocked;
            }

            existing.Locks.RemoveAt(index);
            return NtStatus.Success;
        }
    }

    /// <summary>True when another handle holds a lock over part of this range (reads and writes there fail).</summary>
    public bool IsLockedByOthers(NtfsHandle handle, long offset, long length)
    {
        lock (_lock)
        {
            return _objects.TryGetValue(handle.Path, out var existing) && existing.Locks.Count > 0
                && existing.Locks.Any(l => l.Owner != handle && l.Overlaps(offset, length));
        }
    }

    private OpenObject Object(NtfsHandle handle)
    {
        if (!_objects.TryGetValue(handle.Path, out var existing))
        {
            existing = new OpenObject();
            _objects.Add(handle.Path, existing);
        }

        return existing;
    }

    /// <summary>
    /// NTFS's rule (IoCheckShareAccess): a new open conflicts when it wants an access an open handle does not share,
    /// or when an open handle has an access the new open does not share. Only read, write and delete take part: an
    /// open with none of them (attributes only) neither is checked nor restricts others.
    /// </summary>
    private static bool Conflicts(NtfsHandle open, NtfsHandle wanted) =>
        TakesPart(open) && TakesPart(wanted) && (
        (NtfsConstants.WantsRead(wanted.Access) && (open.Share & NtfsConstants.ShareRead) == 0)
        || (NtfsConstants.WantsWrite(wanted.Access) && (open.Share & NtfsConstants.ShareWrite) == 0)
        || (NtfsConstants.WantsDelete(wanted.Access) && (open.Share & NtfsConstants.ShareDelete) == 0)
        || (NtfsConstants.WantsRead(open.Access) && (wanted.Share & NtfsConstants.ShareRead) == 0)
        || (NtfsConstants.WantsWrite(open.Access) && (wanted.Share & NtfsConstants.ShareWrite) == 0)
        || (NtfsConstants.WantsDelete(open.Access) && (wanted.Share & NtfsConstants.ShareDelete) == 0));

    private static bool TakesPart(NtfsHandle handle) =>
        NtfsConstants.WantsRead(handle.Access) || NtfsConstants.WantsWrite(handle.Access) || NtfsConstants.WantsDelete(handle.Access);

    private sealed class OpenObject
    {
        public List<NtfsHandle> Handles { get; } = [];

        public List<ByteRange> Locks { get; } = [];
    }

    private sealed record ByteRange(NtfsHandle Owner, long Offset, long Length)
    {
        public bool Overlaps(long offset, long length) =>
            offset < Offset + Length && Offset < offset + length;
    }
}
