using BucketMount.Engine.Files;
using BucketMount.Engine.Reading;

namespace BucketMount.Engine;

/// <summary>
/// One open of a file: a view on the file's shared state with its own access rights and read-ahead. Two handles
/// of one file share one staging file and one upload. Release it exactly once (DisposeAsync does).
/// </summary>
public sealed class FileHandle : IAsyncDisposable
{
    private readonly MountEngine _engine;
    private readonly ReadAheadState _readAhead;
    private int _released;

    internal FileHandle(MountEngine engine, OpenFile file, OpenFlags flags, ReadAheadState readAhead)
    {
        _engine = engine;
        File = file;
        Flags = flags;
        _readAhead = readAhead;
    }

    public OpenFlags Flags { get; }

    public bool CanRead => Flags.HasFlag(OpenFlags.Read);

    public bool CanWrite => Flags.HasFlag(OpenFlags.Write);

    /// <summary>The file's path now (it follows renames).</summary>
    public string Path
    {
        get
        {
            lock (File.State)
            {
                return File.Path;
            }
        }
    }

    internal OpenFile File { get; }

    /// <summary>
    /// The ETag of the stored version this handle reads, or null when the file has local changes (or none is
    /// stored yet). A host may let the kernel keep its page cache across opens while this stays the same.
    /// </summary>
    public string? StoredVersion
    {
        get
        {
            lock (File.State)
            {
                return File.Dirty ? null : File.Remote?.ETag;
            }
        }
    }

    /// <summary>
    /// What the file is now, seen through this handle (fstat): its local size and attributes, also once its name
    /// was unlinked or replaced, when no path leads to it any more.
    /// </summary>
    public NodeInfo Attributes
    {
        get
        {
            lock (File.State)
            {
                return File.ToNode();
            }
        }
    }

    /// <summary>True once the file's name was unlinked (or replaced by a rename) while this handle was open.</summary>
    public bool Unlinked
    {
        get
        {
            lock (File.State)
            {
                return File.Deleted;
            }
        }
    }

    /// <summary>
    /// Opens the file again through this handle (a program opening /proc/self/fd/N), which works also once its name
    /// was unlinked. Fails with NotFound when the file's last handle was released meanwhile.
    /// </summary>
    public Task<FileHandle> ReopenAsync(OpenFlags flags, CancellationToken cancellationToken) => _engine.ReopenAsync(File, flags, cancellationToken);

    /// <summary>fchmod, fchown, futimens, truncate through the handle; for a file unlinked while open they stay local.</summary>
    public Task SetAttributesAsync(AttributeChanges changes, CancellationToken cancellationToken) => _engine.SetAttributesAsync(File, changes, cancellationToken);

    /// <summary>Reads up to <c>buffer.Length</c> bytes at <paramref name="offset"/>; fewer only at the end of the file.</summary>
    public Task<int> ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        RequireOpen();
        if (!CanRead)
        {
            throw new FileSystemException(FsError.BadHandle, Path, "the file was not opened for reading.");
        }

        return _engine.ReadFileAsync(File, offset, buffer, _readAhead, cancellationToken);
    }

    /// <summary>Writes all of <paramref name="data"/> at <paramref name="offset"/> (past the end leaves zeros between).</summary>
    public Task WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        RequireOpen();
        if (!CanWrite)
        {
            throw new FileSystemException(FsError.BadHandle, Path, "the file was not opened for writing.");
        }

        return _engine.ChangeContentAsync(File, Flags.HasFlag(OpenFlags.Append) ? -1 : offset, data, truncateTo: null, cancellationToken);
    }

    /// <summary>Shrinks or grows (with zeros) the file.</summary>
    public Task TruncateAsync(long length, CancellationToken cancellationToken)
    {
        RequireOpen();
        if (!CanWrite)
        {
            throw new FileSystemException(FsError.BadHandle, Path, "the file was not opened for writing.");
        }

        return _engine.ChangeContentAsync(File, 0, null, length, cancellationToken);
    }

    /// <summary>
    /// A close of one descriptor (FUSE flush): makes the file's changes durable in the local cache and journal, so
    /// they survive a crash, without waiting for the upload. Its error is what close() reports.
    /// </summary>
    public Task FlushAsync(CancellationToken cancellationToken)
    {
        RequireOpen();
        return _engine.FlushFileAsync(File, cancellationToken);
    }

    /// <summary>fsync: uploads the file now and returns when it is in the store, or throws the upload's error.</summary>
    public Task SyncAsync(CancellationToken cancellationToken)
    {
        RequireOpen();
        return _engine.SyncFileAsync(File, cancellationToken);
    }

    /// <summary>
    /// Close. On the last close of a changed file its content is made durable in the local cache (and journaled)
    /// before this returns; the upload follows after the write-back delay.
    /// </summary>
    public Task ReleaseAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return Task.CompletedTask;
        }

        _readAhead.StopAll();
        return _engine.ReleaseFileAsync(File, cancellationToken);
    }

    public ValueTask DisposeAsync() => new(ReleaseAsync(CancellationToken.None));

    private void RequireOpen()
    {
        if (Volatile.Read(ref _released) != 0)
        {
            throw new FileSystemException(FsError.BadHandle, Path, "the handle was released.");
        }
    }
}
