using BucketMount.Backends;
using Microsoft.Win32.SafeHandles;

namespace BucketMount.Engine.Writing;

/// <summary>
/// The local copy of a file being changed, plus which ranges of it hold real content. Ranges not present are
/// still the store's bytes and are fetched only when needed (a read, or before the file is made durable for
/// upload). While everything written lies within the first <see cref="MemoryLimit"/> bytes the copy is an array:
/// such a file's journal record carries its bytes, so no file is needed for durability, and creating, filling,
/// reading back and deleting one per small file cost a fifth of the mount's CPU in a loop writing 4 KiB files
/// (ext4 inode allocation among recently deleted inodes, mostly). Past that it moves to a sparse file in the
/// cache directory for good. Positional I/O only, so readers and the uploader never share a position. The file's
/// descriptor is leased from a bounded pool for each call (<see cref="StagingDescriptors"/>), so thousands of open
/// files do not hold thousands of descriptors.
/// </summary>
internal sealed partial class StagingFile : IDisposable
{
    /// <summary>How far into the file content may lie and stay in memory: the journal's inline limit.</summary>
    public const int MemoryLimit = UploadJournal.InlineContentBytes;

    private readonly object _gate = new();
    private readonly RangeSet _present = new();

    private readonly StagingDescriptors _descriptors;
    private readonly StagingDescriptors.Slot _slot;

    // False while the content is in memory. Guarded by _gate with the fields below.
    private bool _onDisk;
    private byte[] _memory = [];
    private int _memoryLength;
    private bool _nameless;

    private StagingFile(string path, StagingDescriptors descriptors, bool onDisk)
    {
        FilePath = path;
        _descriptors = descriptors;
        _slot = descriptors.NewSlot(path);
        _onDisk = onDisk;
    }

    /// <summary>Where the content lives once it outgrew memory, and where recovery rebuilds it from the journal.</summary>
    public string FilePath { get; }

    /// <summary>True once the content moved to <see cref="FilePath"/>.</summary>
    public bool OnDisk
    {
        get
        {
            lock (_gate)
            {
                return _onDisk;
            }
        }
    }

    /// <summary>
    /// Starts an empty staging copy in memory (or opens a recovered file whose content is whole up to
    /// <paramref name="wholeLength"/>), its descriptors leased from <paramref name="descriptors"/>.
    /// </summary>
    internal static StagingFile Open(string path, long? wholeLength = null, StagingDescriptors? descriptors = null)
    {
        descriptors ??= StagingDescriptors.Shared;
        if (wholeLength is not { } length)
        {
            return new StagingFile(path, descriptors, onDisk: false);
        }

        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
        try
        {
            // Writes past the record's size (appends after it was written) may have reached the file before the
            // crash: they are not content, and must not show if the file grows again.
            if (RandomAccess.GetLength(handle) > length)
            {
                RandomAccess.SetLength(handle, length);
            }
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        var staging = new StagingFile(path, descriptors, onDisk: true);
        descriptors.Adopt(staging._slot, handle);
        descriptors.Return(staging._slot);
        staging._present.Add(0, length);

        // The journal record that brought it back names this file until its upload is done.
        staging._pinnedLength = length;
        return staging;
    }

    public long PresentBytes
    {
        get
        {
            lock (_gate)
            {
                return _present.PresentBytes;
            }
        }
    }

    public List<(long Start, long End)> Missing(long start, long end)
    {
        lock (_gate)
        {
            return _present.Missing(start, end);
        }
    }

    /// <summary>The first <paramref name="size"/> bytes, for an upload; the caller keeps the content unchanged meanwhile.</summary>
    public IUploadSource Source(long size)
    {
        lock (_gate)
        {
            if (OnDiskFor(size))
            {
                return new LeasedUploadSource(this, size);
            }

            Reserve(size);
            return new MemoryUploadSource(_memory.AsMemory(0, (int)size));
        }
    }

    /// <remarks>
    /// Synchronous on purpose, like <see cref="ReadAsync"/>: a write to a local file lands in the page cache in
    /// microseconds, while the async API would hand it to the thread pool and back, and that hop cost more than the
    /// write (a FUSE thread waits for each request; a 4 KiB file's create, write and close are three of them).
    /// </remarks>
    public Task WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            if (!OnDiskFor(offset + data.Length))
            {
                Reserve(offset + data.Length);
                data.Span.CopyTo(_memory.AsSpan((int)offset));
                _memoryLength = Math.Max(_memoryLength, (int)offset + data.Length);
                _present.Add(offset, offset + data.Length);
                return Task.CompletedTask;
            }
        }

        using (var lease = Lease())
        {
            RandomAccess.Write(lease.Handle, data.Span, offset);
        }

        lock (_gate)
        {
            _present.Add(offset, offset + data.Length);
        }

        return Task.CompletedTask;
    }

    /// <summary>Reads present content; the caller reads only ranges <see cref="Missing"/> did not return.</summary>
    public Task<int> ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Read(offset, destination.Span));
    }

    private int Read(long offset, Span<byte> destination)
    {
        lock (_gate)
        {
            if (!_onDisk)
            {
                // Past what was written: zeros, as in a sparse file.
                var inMemory = (int)Math.Clamp(_memoryLength - offset, 0, destination.Length);
                _memory.AsSpan((int)Math.Min(offset, _memoryLength), inMemory).CopyTo(destination);
                destination[inMemory..].Clear();
                return destination.Length;
            }
        }

        using var lease = Lease();
        var total = 0;
        while (total < destination.Length)
        {
            var read = RandomAccess.Read(lease.Handle, destination[total..], offset + total);
            if (read == 0)
            {
                // Past the physical end of a sparse file whose logical length was set: zeros.
                destination[total..].Clear();
                return destination.Length;
            }

            total += read;
        }

        return total;
    }

    /// <summary>Sets the file's length; a shrink forgets content past it, a growth is zeros (which are content).</summary>
    public void SetLength(long oldLength, long newLength)
    {
        bool onDisk;
        lock (_gate)
        {
            onDisk = OnDiskFor(newLength);
            if (!onDisk)
            {
                // Bytes past a shrink must read as zeros if the file grows again.
                _memory.AsSpan(Math.Min(_memoryLength, (int)newLength)).Clear();
                _memoryLength = Math.Min(_memoryLength, (int)newLength);
            }
        }

        // A shell's "> file" truncates a new, empty file. Skipping the call is more than a syscall saved: ext4
        // marks a file truncated to zero for writeback on close (its auto_da_alloc rule).
        if (onDisk && oldLength != newLength)
        {
            using var lease = Lease();
            RandomAccess.SetLength(lease.Handle, newLength);
        }

        lock (_gate)
        {
            _present.Truncate(newLength);
            _present.Add(oldLength, newLength);
        }
    }

    /// <summary>Marks a range as content without writing it: a hole left by a write past the end, which reads as zeros.</summary>
    public void MarkZeros(long start, long end)
    {
        lock (_gate)
        {
            _present.Add(start, end);
        }
    }

    /// <summary>Makes the content durable in <see cref="FilePath"/> (moving it there first if it is in memory).</summary>
    public void FlushToDisk()
    {
        lock (_gate)
        {
            if (!_onDisk)
            {
                Spill();
            }
        }

        using var lease = Lease();
        RandomAccess.FlushToDisk(lease.Handle);
    }

    public void Dispose()
    {
        StagingFile? replaced;
        lock (_gate)
        {
            _memory = [];
            _memoryLength = 0;
            replaced = _replaced;
        }

        _descriptors.Close(_slot);
        replaced?.Dispose();
    }

    /// <summary>
    /// Takes the copy's name away while it stays usable (a file deleted while open): a file on disk is unlinked now
    /// and one that moves to disk later is unlinked as soon as it is created, so its bytes live only as long as the
    /// copy, even if this process dies. Such a copy cannot be made durable or recovered (nothing needs it to be).
    /// </summary>
    public void Unlink()
    {
        bool onDisk;
        lock (_gate)
        {
            _nameless = true;
            _pinnedLength = 0;
            onDisk = _onDisk;
        }

        if (onDisk)
        {
            // Its descriptor must stay open from now on: nothing could reopen the file once its name is gone.
            using var lease = Lease();
            _descriptors.Pin(_slot);
            TryDeleteName();
        }

        // No journal record names the copy this one replaced any more (the caller deleted it): it goes now.
        ReleaseReplaced();
    }

    public void Delete()
    {
        bool onDisk;
        lock (_gate)
        {
            onDisk = _onDisk && !_nameless;
        }

        ReleaseReplaced();
        Dispose();
        if (!onDisk)
        {
            return;
        }

        try
        {
            File.Delete(FilePath);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Whether content reaching <paramref name="end"/> goes to the file, moving the content there if memory cannot hold it. Caller holds <see cref="_gate"/>.</summary>
    private bool OnDiskFor(long end)
    {
        if (!_onDisk && end > MemoryLimit)
        {
            Spill();
        }

        return _onDisk;
    }

    /// <summary>Moves the content from memory to the file. Caller holds <see cref="_gate"/>.</summary>
    private void Spill()
    {
        var handle = File.OpenHandle(FilePath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
        try
        {
            RandomAccess.Write(handle, _memory.AsSpan(0, _memoryLength), 0);
        }
        catch
        {
            handle.Dispose();
            File.Delete(FilePath);
            throw;
        }

        _onDisk = true;
        _memory = [];
        _memoryLength = 0;
        _descriptors.Adopt(_slot, handle);
        if (_nameless)
        {
            _descriptors.Pin(_slot);
            TryDeleteName();
        }

        _descriptors.Return(_slot);
    }

    private DescriptorLease Lease() => new(_descriptors, _slot);

    /// <summary>The file's descriptor for one call; disposing gives it back to the pool.</summary>
    private readonly struct DescriptorLease : IDisposable
    {
        private readonly StagingDescriptors _descriptors;
        private readonly StagingDescriptors.Slot _slot;

        public DescriptorLease(StagingDescriptors descriptors, StagingDescriptors.Slot slot)
        {
            _descriptors = descriptors;
            _slot = slot;
            Handle = descriptors.Lease(slot);
        }

        public SafeFileHandle Handle { get; }

        public void Dispose() => _descriptors.Return(_slot);
    }

    /// <summary>
    /// The first <see cref="Length"/> bytes of the file for an upload, each read on a leased descriptor: an upload
    /// waiting for its turn or a slow store holds none. Ends early, like a file, where the file ends.
    /// </summary>
    private sealed class LeasedUploadSource(StagingFile staging, long length) : IUploadSource
    {
        public long Length { get; } = length;

        public ValueTask<int> ReadAtAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return ValueTask.FromResult(ReadAt(offset, buffer.Span));
        }

        public int ReadAt(long offset, Span<byte> buffer)
        {
            var limit = (int)Math.Clamp(Length - offset, 0, buffer.Length);
            if (limit == 0)
            {
                return 0;
            }

            using var lease = staging.Lease();
            var total = 0;
            while (total < limit)
            {
                var read = RandomAccess.Read(lease.Handle, buffer[total..limit], offset + total);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }

            return total;
        }
    }

    private void TryDeleteName()
    {
        try
        {
            File.Delete(FilePath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left behind, it is only a stray file in the cache directory; the copy works either way.
        }
    }

    private void Reserve(long end)
    {
        if (end > _memory.Length)
        {
            // Doubling keeps an appending writer's copies few; never past the limit, which a file takes over.
            var grown = new byte[Math.Min(MemoryLimit, Math.Max(end, Math.Max(4096, (long)_memory.Length * 2)))];
            _memory.AsSpan(0, _memoryLength).CopyTo(grown);
            _memory = grown;
        }
    }
}
