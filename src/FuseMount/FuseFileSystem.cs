using System.Collections.Concurrent;
using BucketMount.Engine;
using BucketMount.Engine.Hosting;
using BucketMount.Engine.Namespace;
using BucketMount.Fuse.Interop;

namespace BucketMount.Fuse;

/// <summary>
/// The managed side of each FUSE operation: translate in, one engine call, translate out. Called on libfuse's
/// threads, it blocks once on the engine's task (with a timeout): the one allowed blocking wait, at the host's
/// native entry. It holds no policy; everything a file means lives in the engine.
/// </summary>
internal sealed unsafe class FuseFileSystem(MountEngine engine, FuseMountOptions options)
{
    private const uint DirectoryType = 0x4000;
    private const uint FileType = 0x8000;
    private const uint SetGroupId = 0x400;
    private const int RenameNoReplace = 1;
    private const int RenameExchange = 2;
    private const int AccessModeMask = 3;
    private const int OpenWriteOnly = 1;
    private const int OpenReadWrite = 2;
    private const int OpenTruncate = 0x200;
    private const int OpenAppend = 0x400;
    private const int OpenExclusive = 0x80;

    /// <summary>Paths remembered with the stored version they were last opened read-only at, at most this many.</summary>
    private const int MaxRememberedVersions = 100_000;

    /// <summary>The name libfuse gives a file unlinked while open, followed by 16 hex digits.</summary>
    private const string HiddenPrefix = ".fuse_hidden";

    private readonly ConcurrentDictionary<ulong, FileHandle> _handles = new();

    // Handles written since their program last closed a descriptor of them (a FLUSH): at a forced end these hold
    // changes nobody finished, which must not be uploaded as if complete.
    private readonly ConcurrentDictionary<ulong, byte> _writtenSinceFlush = new();
    // Files unlinked while open, by the hidden path libfuse keeps for them until their last release.
    private readonly ConcurrentDictionary<string, FileHandle> _unlinked = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _versionLastOpened = new(StringComparer.Ordinal);
    private readonly uint _uid = options.Uid ?? FuseNative.GetUid();
    private readonly uint _gid = options.Gid ?? FuseNative.GetGid();
    private long _nextHandle;

    public MountEngine Engine => engine;

    public FuseMountOptions Options => options;

    public int GetAttr(string path, Stat* stat, FuseFileInfo* info)
    {
        // An open file answers for itself: its path may name another file by now, or none.
        if (info is not null && _handles.TryGetValue(info->Fh, out var handle))
        {
            Fill(handle.Attributes, stat, handle.Unlinked);
            return 0;
        }

        if (_unlinked.TryGetValue(path, out var unlinked))
        {
            Fill(unlinked.Attributes, stat, unlinked: true);
            return 0;
        }

        var node = WaitReading(ct => engine.GetAttributesAsync(path, ct));
        Fill(node, stat);
        return 0;
    }

    public int ReadDir(string path, nint buffer, delegate* unmanaged<nint, byte*, Stat*, long, int, int> filler)
    {
        var entries = WaitReading(ct => engine.ListDirectoryAsync(path, ct));
        Stat stat = default;
        Fill(NodeInfo.Directory(".", DateTimeOffset.UnixEpoch), &stat);

        // libfuse looks up no inode for "." and "..", so they would carry ours: with 0, glibc's readdir drops them
        // as deleted entries and `ls -a` showed neither. 1 is FUSE's root id; the kernel ignores it otherwise.
        stat.Ino = 1;
        AddEntry(buffer, filler, ".", &stat);
        AddEntry(buffer, filler, "..", &stat);
        foreach (var entry in entries)
        {
            stat = default;
            Fill(entry, &stat);
            AddEntry(buffer, filler, entry.Name, &stat);
        }

        return 0;
    }

    public int Open(string path, FuseFileInfo* info)
    {
        var flags = ToOpenFlags(info->Flags, create: false);

        // An unlinked file's hidden name is opened only through /proc/self/fd/N of a handle: a handle on that file.
        // Only an open that changes nothing may be abandoned on interrupt; any open abandoned (interrupt or timeout)
        // is cancelled, and a handle it still returns late is released: nobody will ever close it, and a file with
        // an open handle is never uploaded.
        var handle = _unlinked.TryGetValue(path, out var unlinked)
            ? WaitForHandle(ct => unlinked.ReopenAsync(flags, ct), interruptible: false)
            : WaitForHandle(ct => engine.OpenAsync(path, flags, ct), interruptible: (flags & (OpenFlags.Write | OpenFlags.Truncate)) == 0);
        return Register(path, info, handle);
    }

    /// <summary>create(): the file and its mode and owner (the caller's <paramref name="uid"/> and <paramref name="gid"/>).</summary>
    public int Create(string path, FuseFileInfo* info, uint mode, uint uid, uint gid)
    {
        var flags = ToOpenFlags(info->Flags, create: true);
        var handle = WaitForHandle(ct => engine.OpenAsync(path, flags, ct), interruptible: false);
        try
        {
            Wait(engine.SetAttributesAsync(path, new AttributeChanges { Mode = (int)(FileType | (mode & 0xFFF)), Uid = (int)uid, Gid = (int)NewEntryGroup(path, gid).Gid },
                CancellationToken.None));
        }
        catch
        {
            // The caller hears that create failed and never closes this handle: release it before answering, or the
            // new file stays open for good and is never uploaded.
            ReleaseAbandoned(handle);
            throw;
        }

        return Register(path, info, handle);
    }

    private int Register(string path, FuseFileInfo* info, FileHandle handle)
    {
        if (KeepsPageCache(path, handle))
        {
            info->Bits |= FuseFileInfo.KeepCache;
        }

        var id = (ulong)Interlocked.Increment(ref _nextHandle);
        _handles[id] = handle;
        info->Fh = id;
        return 0;
    }

    /// <summary>An open's wait: cancelled on timeout (and on interrupt when it changes nothing), a late handle released.</summary>
    private FileHandle WaitForHandle(Func<CancellationToken, Task<FileHandle>> open, bool interruptible) =>
        InterruptibleWait.Run(open, options.OperationTimeout, abandoned: ReleaseLate, interruptible: interruptible);

    /// <summary>Releases a handle no program holds, here at the callback's entry; a failure is logged, not answered (the answer is already an error).</summary>
    private void ReleaseAbandoned(FileHandle handle)
    {
        try
        {
            Wait(handle.ReleaseAsync(CancellationToken.None));
        }
        catch (Exception e)
        {
            LogFailedRelease(handle, e);
        }
    }

    /// <summary>Releases the handle of an open that finished after its caller was answered (on a pool thread: no blocking).</summary>
    private static void ReleaseLate(FileHandle handle) =>
        _ = handle.ReleaseAsync(CancellationToken.None).ContinueWith(
            t => LogFailedRelease(handle, t.Exception!.GetBaseException()), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

    private static void LogFailedRelease(FileHandle handle, Exception error) =>
        FuseErrorLog.Once("release-abandoned", $"{handle.Path}: releasing the handle of an open that had failed also failed: {error.Message}");

    /// <summary>
    /// True when the kernel may keep the file's page cache from the last open: a read-only open of the same stored
    /// version as last time, so a warm re-read never leaves the kernel. Another version, local changes or a write
    /// open make the kernel drop it, as it does by default.
    /// </summary>
    private bool KeepsPageCache(string path, FileHandle handle)
    {
        if (handle.CanWrite || handle.StoredVersion is not { } version)
        {
            _versionLastOpened.TryRemove(path, out _);
            return false;
        }

        if (_versionLastOpened.TryGetValue(path, out var last) && last == version)
        {
            return true;
        }

        if (_versionLastOpened.Count >= MaxRememberedVersions)
        {
            _versionLastOpened.Clear();
        }

        _versionLastOpened[path] = version;
        return false;
    }

    public int Read(FuseFileInfo* info, byte* buffer, nuint size, long offset)
    {
        using var memory = new LentBuffer(buffer, (int)size);
        var handle = Handle(info);

        // The read fills libfuse's buffer: on interrupt it is cancelled and awaited before the buffer goes back.
        return InterruptibleWait.Run(ct => handle.ReadAsync(offset, memory.Memory, ct), options.OperationTimeout, awaitAfterCancel: true);
    }

    public int Write(FuseFileInfo* info, byte* buffer, nuint size, long offset)
    {
        using var memory = new LentBuffer(buffer, (int)size);
        var handle = Handle(info);
        _writtenSinceFlush[info->Fh] = 0;
        Wait(handle.WriteAsync(offset, memory.Memory, CancellationToken.None));
        return (int)size;
    }

    public int Flush(FuseFileInfo* info)
    {
        var handle = Handle(info);
        if (handle.CanWrite)
        {
            Wait(handle.FlushAsync(CancellationToken.None));
            _writtenSinceFlush.TryRemove(info->Fh, out _);
        }

        return 0;
    }

    public int Release(FuseFileInfo* info)
    {
        _writtenSinceFlush.TryRemove(info->Fh, out _);
        if (_handles.TryRemove(info->Fh, out var handle))
        {
            Wait(handle.ReleaseAsync(CancellationToken.None));
        }

        return 0;
    }

    public int Fsync(FuseFileInfo* info)
    {
        var handle = Handle(info);
        if (handle.CanWrite)
        {
            Wait(handle.SyncAsync(CancellationToken.None));
        }

        return 0;
    }

    public int Truncate(string path, long size, FuseFileInfo* info)
    {
        if (info is not null && _handles.TryGetValue(info->Fh, out var handle) && handle.CanWrite)
        {
            Wait(handle.TruncateAsync(size, CancellationToken.None));
        }
        else
        {
            SetAttributes(path, new AttributeChanges { Size = size });
        }

        return 0;
    }

    /// <summary>mkdir(): the directory with the mode the kernel hands over (umask applied) and the caller's <paramref name="uid"/> and <paramref name="gid"/>.</summary>
    public int MkDir(string path, uint mode, uint uid, uint gid)
    {
        var (group, inherit) = NewEntryGroup(path, gid);
        var attributes = new AttributeChanges { Mode = (int)(DirectoryType | (mode & 0xFFF) | (inherit ? SetGroupId : 0)), Uid = (int)uid, Gid = (int)group };
        Wait(engine.CreateDirectoryAsync(path, attributes, CancellationToken.None));
        return 0;
    }

    /// <summary>
    /// The group of a new entry, as a local file system gives it: the caller's, or in a set-group-ID directory the
    /// directory's (whose new subdirectories keep the bit: <paramref name="path"/>'s parent then says Inherit).
    /// </summary>
    private (uint Gid, bool Inherit) NewEntryGroup(string path, uint callerGid)
    {
        var parent = FsPath.Parent(path);
        var node = Wait(engine.GetAttributesAsync(parent, CancellationToken.None));
        return node is { Mode: { } mode, Gid: { } group } && (mode & SetGroupId) != 0 ? ((uint)group, true) : (callerGid, false);
    }

    /// <summary>mknod(): a FIFO, socket or device node, kept as an empty object whose mode says its type (regular files come through create).</summary>
    public int MkNod(string path, uint mode, ulong device, uint uid, uint gid)
    {
        Wait(engine.CreateSpecialFileAsync(path, (int)mode, (long)device, (int)uid, (int)NewEntryGroup(path, gid).Gid, CancellationToken.None));
        return 0;
    }

    public int RmDir(string path)
    {
        Wait(engine.RemoveDirectoryAsync(path, CancellationToken.None));
        return 0;
    }

    public int Unlink(string path)
    {
        // libfuse removing the hidden name of an unlinked file at its last release: the file is already gone.
        if (_unlinked.TryRemove(path, out _))
        {
            return 0;
        }

        Wait(engine.DeleteFileAsync(path, CancellationToken.None));
        return 0;
    }

    public int Rename(string from, string to, uint flags)
    {
        if ((flags & RenameExchange) != 0 || (flags & ~(uint)(RenameNoReplace | RenameExchange)) != 0)
        {
            // An object store cannot swap two names atomically.
            return -Errno.EINVAL;
        }

        if (UnlinkingOpenFile(from, to) is { } open)
        {
            // libfuse hiding a file unlinked (or about to be replaced) while open: an unlink for the engine, which
            // keeps the file's local copy for its handles. The hidden name only answers getattr (fstat) from the
            // handle until libfuse removes it at the last release; nothing of it reaches the store.
            Wait(engine.DeleteFileAsync(from, CancellationToken.None));
            _unlinked[to] = open;
            return 0;
        }

        Wait(engine.RenameAsync(from, to, (flags & RenameNoReplace) != 0, CancellationToken.None));

        // libfuse moves the hidden names of unlinked files below a renamed directory along with it.
        foreach (var hidden in _unlinked.Keys.Where(k => k.StartsWith(from + "/", StringComparison.Ordinal)))
        {
            if (_unlinked.TryRemove(hidden, out var moved))
            {
                _unlinked[to + hidden[from.Length..]] = moved;
            }
        }

        return 0;
    }

    /// <summary>
    /// A handle of <paramref name="from"/> when this rename is libfuse hiding an open file (a ".fuse_hidden" name
    /// in the same directory, see hide_node in fuse.c); null for any other rename. Without a handle of ours it is
    /// taken as an ordinary rename, which is still correct, just not free.
    /// </summary>
    private FileHandle? UnlinkingOpenFile(string from, string to)
    {
        var slash = to.LastIndexOf('/');
        var name = to[(slash + 1)..];
        if (name.Length != HiddenPrefix.Length + 16 || !name.StartsWith(HiddenPrefix, StringComparison.Ordinal) ||
            name.AsSpan(HiddenPrefix.Length).ContainsAnyExcept("0123456789abcdef") || from.LastIndexOf('/') != slash ||
            string.CompareOrdinal(from, 0, to, 0, slash) != 0)
        {
            return null;
        }

        return _handles.Values.FirstOrDefault(h => h.Path == from && !h.Unlinked);
    }

    public int Symlink(string target, string path)
    {
        Wait(engine.CreateSymlinkAsync(path, target, CancellationToken.None));
        return 0;
    }

    /// <summary>link(): the new name is a copy of the file (see MountEngine.CreateLinkCopyAsync); the kernel refuses directories and taken names first.</summary>
    public int Link(string existing, string path)
    {
        Wait(engine.CreateLinkCopyAsync(existing, path, CancellationToken.None));
        return 0;
    }

    public int ReadLink(string path, byte* buffer, nuint size)
    {
        var target = RawNames.ToBytes(WaitReading(ct => engine.ReadSymlinkAsync(path, ct)));
        var length = (int)Math.Min((ulong)target.Length, size - 1);
        target.AsSpan(0, length).CopyTo(new Span<byte>(buffer, length));
        buffer[length] = 0;
        return 0;
    }

    public int Chmod(string path, uint mode)
    {
        var node = _unlinked.TryGetValue(path, out var unlinked) ? unlinked.Attributes : Wait(engine.GetAttributesAsync(path, CancellationToken.None));
        SetAttributes(path, new AttributeChanges { Mode = (int)(TypeBits(node) | (mode & 0xFFF)) });
        return 0;
    }

    public int Chown(string path, uint uid, uint gid)
    {
        SetAttributes(path, new AttributeChanges
        {
            Uid = uid == uint.MaxValue ? null : (int)uid,
            Gid = gid == uint.MaxValue ? null : (int)gid,
        });
        return 0;
    }

    /// <summary>
    /// utimensat: libfuse hands over both times, UTIME_NOW and UTIME_OMIT still marked in tv_nsec (it builds them
    /// from setattr's FATTR_ATIME_NOW/FATTR_MTIME_NOW and valid bits), or null for "both now".
    /// </summary>
    public int Utimens(string path, Timespec* times)
    {
        var now = DateTimeOffset.UtcNow;
        var accessed = times is null ? now : ToTime(times[0], now);
        var modified = times is null ? now : ToTime(times[1], now);
        if (accessed is not null || modified is not null)
        {
            SetAttributes(path, new AttributeChanges
            {
                AccessTime = accessed,
                AccessTimeSubTickNs = times is null ? 0 : SubTickNanoseconds(times[0]),
                ModifiedTime = modified,
                ModifiedTimeSubTickNs = times is null ? 0 : SubTickNanoseconds(times[1]),
            });
        }

        return 0;
    }

    public int StatFs(StatVfs* stat)
    {
        var volume = engine.GetVolumeStatistics();
        stat->BSize = (ulong)volume.BlockSize;
        stat->FrSize = (ulong)volume.BlockSize;
        stat->Blocks = (ulong)(volume.TotalBytes / volume.BlockSize);
        stat->BFree = (ulong)(volume.FreeBytes / volume.BlockSize);
        stat->BAvail = stat->BFree;
        stat->Files = 1UL << 40;
        stat->FFree = 1UL << 40;
        stat->NameMax = 255;
        return 0;
    }

    public int Fallocate(int mode, long offset, long length, FuseFileInfo* info)
    {
        const int keepSize = 1;
        if ((mode & ~keepSize) != 0)
        {
            return -Errno.EOPNOTSUPP;
        }

        var handle = Handle(info);
        if ((mode & keepSize) == 0)
        {
            var size = handle.Attributes.Size;
            if (offset + length > size)
            {
                Wait(handle.TruncateAsync(offset + length, CancellationToken.None));
            }
        }

        return 0;
    }

    public int Access(string path)
    {
        WaitReading(ct => engine.GetAttributesAsync(path, ct));
        return 0;
    }

    /// <summary>
    /// At the end of the mount, handles the kernel never released: one its program closed (the kernel sent FLUSH
    /// after its last write, but the RELEASE was lost with the connection) is released as closed; one written since
    /// is a change nobody finished, so it is dropped without being uploaded. Returns the dropped files' paths.
    /// </summary>
    public IReadOnlyList<string> CloseAll()
    {
        var dropped = new List<string>();
        foreach (var id in _handles.Keys)
        {
            if (!_handles.TryRemove(id, out var handle))
            {
                continue;
            }

            // A file unlinked while open has no name to store under: it is discarded at release either way.
            if (_writtenSinceFlush.TryRemove(id, out _) && !handle.Unlinked)
            {
                dropped.Add(handle.Path);
                continue;
            }

            Wait(handle.ReleaseAsync(CancellationToken.None));
        }

        return dropped;
    }

    /// <summary>Paths of files written through a handle their program has not closed since.</summary>
    public IReadOnlyList<string> WrittenAndOpen() =>
        [.. _writtenSinceFlush.Keys.Select(id => _handles.TryGetValue(id, out var handle) && !handle.Unlinked ? handle.Path : null).OfType<string>().Distinct()];

    /// <summary>Attributes set by path; the hidden name of an unlinked file (fchmod, futimens…) changes it through its handle.</summary>
    private void SetAttributes(string path, AttributeChanges changes) =>
        Wait(_unlinked.TryGetValue(path, out var unlinked)
            ? unlinked.SetAttributesAsync(changes, CancellationToken.None)
            : engine.SetAttributesAsync(path, changes, CancellationToken.None));

    private static void AddEntry(nint buffer, delegate* unmanaged<nint, byte*, Stat*, long, int, int> filler, string name, Stat* stat)
    {
        const int fillDirPlus = 2;
        // The name's own bytes, which need not be UTF-8 (see RawNames).
        var raw = RawNames.ToBytes(name);
        var native = stackalloc byte[raw.Length + 1];
        raw.CopyTo(new Span<byte>(native, raw.Length));
        native[raw.Length] = 0;
        filler(buffer, native, stat, 0, fillDirPlus);
    }

    private static uint TypeBits(NodeInfo node) => (uint)NodeKinds.TypeBits(node.Kind);

    private void Fill(NodeInfo node, Stat* stat, bool unlinked = false)
    {
        var defaultPermissions = node.IsDirectory ? 0x1FFu : 0x1B6u;
        var permissions = node.Mode is { } mode ? (uint)mode & 0xFFF : defaultPermissions & ~options.Umask;
        stat->Mode = TypeBits(node) | permissions;
        stat->NLink = node.IsDirectory ? 2UL : unlinked ? 0UL : 1UL;
        stat->Uid = node.Uid is { } uid ? (uint)uid : _uid;
        stat->Gid = node.Gid is { } gid ? (uint)gid : _gid;
        stat->RDev = node.Rdev is { } rdev ? (ulong)rdev : 0;
        stat->Size = node.Size;
        stat->BlkSize = 4096;
        stat->Blocks = (node.Size + 511) / 512;
        // Objects that never had a ctime or atime kept (another tool wrote them) show their mtime for both.
        stat->MTime = ToTimespec(node.ModifiedTime, node.ModifiedTimeSubTickNs);
        stat->ATime = node.AccessTime is { } accessed ? ToTimespec(accessed, node.AccessTimeSubTickNs) : stat->MTime;
        stat->CTime = ToTimespec(node.ChangeTime ?? node.ModifiedTime);
    }

    private static Timespec ToTimespec(DateTimeOffset time, int subTickNanoseconds = 0)
    {
        var ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var remainder);
        if (remainder < 0)
        {
            seconds--;
            remainder += TimeSpan.TicksPerSecond;
        }

        return new Timespec { Seconds = seconds, Nanoseconds = remainder * 100 + subTickNanoseconds };
    }

    /// <summary>The nanoseconds below the 100 ns tick a <see cref="DateTimeOffset"/> keeps, kept beside it (0 for UTIME_NOW/OMIT).</summary>
    private static int SubTickNanoseconds(Timespec time) =>
        time.Nanoseconds is Timespec.UtimeNow or Timespec.UtimeOmit or < 0 or >= 1_000_000_000 ? 0 : (int)(time.Nanoseconds % 100);

    private static DateTimeOffset? ToTime(Timespec time, DateTimeOffset now) => time.Nanoseconds switch
    {
        Timespec.UtimeOmit => null,
        Timespec.UtimeNow => now,
        _ => DateTimeOffset.FromUnixTimeSeconds(time.Seconds).AddTicks(time.Nanoseconds / 100),
    };

    private OpenFlags ToOpenFlags(int flags, bool create)
    {
        var result = (flags & AccessModeMask) switch
        {
            OpenWriteOnly => OpenFlags.Write,
            OpenReadWrite => OpenFlags.ReadWrite,
            _ => OpenFlags.Read,
        };
        if ((flags & OpenTruncate) != 0)
        {
            result |= OpenFlags.Truncate;
        }

        if ((flags & OpenAppend) != 0)
        {
            result |= OpenFlags.Append;
        }

        if (create)
        {
            result |= OpenFlags.Create | ((flags & OpenExclusive) != 0 ? OpenFlags.Exclusive : 0);
        }

        return result;
    }

    private FileHandle Handle(FuseFileInfo* info) =>
        _handles.TryGetValue(info->Fh, out var handle) ? handle : throw new FileSystemException(FsError.BadHandle, "", "unknown file handle.");

    private T Wait<T>(Task<T> task) => task.WaitAsync(options.OperationTimeout).GetAwaiter().GetResult();

    private void Wait(Task task) => task.WaitAsync(options.OperationTimeout).GetAwaiter().GetResult();

    /// <summary>The wait of a request that only looks: a signal to its caller answers EINTR at once (see <see cref="InterruptibleWait"/>).</summary>
    private T WaitReading<T>(Func<CancellationToken, Task<T>> start) => InterruptibleWait.Run(start, options.OperationTimeout);
}
