using BucketMount.Engine;

namespace BucketMount.Dokan.Ntfs;

/// <summary>
/// One Windows handle (one ZwCreateFile that succeeded), from open to CloseFile. Its engine handle exists only
/// when the open asked for data access; attribute-only and delete-only opens cost nothing.
/// </summary>
internal sealed class NtfsHandle
{
    internal NtfsHandle(string path, bool isDirectory, uint access, uint share, bool deleteOnClose)
    {
        Path = path;
        IsDirectory = isDirectory;
        Access = access;
        Share = share;
        DeleteOnClose = deleteOnClose;
    }

    /// <summary>The engine path ("/dir/file"); follows MoveFile.</summary>
    public string Path { get; internal set; }

    public bool IsDirectory { get; }

    public uint Access { get; }

    public uint Share { get; }

    public bool DeleteOnClose { get; }

    internal FileHandle? File { get; set; }

    /// <summary>Set once Cleanup ran: the application closed it; only paging I/O and CloseFile may follow.</summary>
    internal bool CleanedUp { get; set; }

    /// <summary>A last-write time the program set explicitly; re-applied at close so later writes do not move it.</summary>
    internal DateTimeOffset? FixedWriteTime { get; set; }

    internal bool WroteAfterFixedTime { get; set; }

    /// <summary>Serializes the handle's own size changes with its writes (Windows may send them concurrently).</summary>
    internal SemaphoreSlim Gate { get; } = new(1, 1);
}
