using Microsoft.Win32.SafeHandles;

namespace BucketMount.Engine.Writing;

/// <summary>
/// The local copy of a file being changed: a sparse file in the cache directory, plus which ranges of it hold
/// real content. Ranges not present are still the store's bytes and are fetched only when needed (a read, or
/// before the file is made durable for upload). Positional I/O only, so readers and the uploader never share a
/// stream position.
/// </summary>
public sealed class StagingFile : IDisposable
{
    private readonly object _gate = new();
    private readonly RangeSet _present = new();

    private StagingFile(string path, SafeFileHandle handle)
    {
        FilePath = path;
        Handle = handle;
    }

    public string FilePath { get; }

    public SafeFileHandle Handle { get; }

    /// <summary>Creates an empty staging file (or opens a recovered one whose content is whole up to <paramref name="wholeLength"/>).</summary>
    public static StagingFile Open(string path, long? wholeLength = null)
    {
        var handle = File.OpenHandle(path, wholeLength is null ? FileMode.CreateNew : FileMode.Open, FileAccess.ReadWrite,
            FileShare.Read | FileShare.Delete);
        var staging = new StagingFile(path, handle);
        if (wholeLength is { } length)
        {
            staging._present.Add(0, length);
        }

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

    /// <remarks>
    /// Synchronous on purpose, like <see cref="ReadAsync"/>: a write to a local file lands in the page cache in
    /// microseconds, while the async API would hand it to the thread pool and back, and that hop cost more than the
    /// write (a FUSE thread waits for each request; a 4 KiB file's create, write and close are three of them).
    /// </remarks>
    public Task WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        RandomAccess.Write(Handle, data.Span, offset);
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
        var total = 0;
        while (total < destination.Length)
        {
            var read = RandomAccess.Read(Handle, destination[total..], offset + total);
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
        // A shell's "> file" truncates a new, empty file. Skipping the call is more than a syscall saved: ext4
        // marks a file truncated to zero for writeback on close (its auto_da_alloc rule), so every small file
        // written that way was pushed to disk although its staging file is deleted after upload.
        if (oldLength != newLength)
        {
            RandomAccess.SetLength(Handle, newLength);
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

    public void FlushToDisk() => RandomAccess.FlushToDisk(Handle);

    public void Dispose() => Handle.Dispose();

    public void Delete()
    {
        Dispose();
        try
        {
            File.Delete(FilePath);
        }
        catch (IOException)
        {
        }
    }
}
