namespace BucketMount.Dokan.Ntfs;

/// <summary>
/// The parts of DOKAN_FILE_INFO the translation reads and writes, as a managed object: the callbacks copy them
/// in and out, and the managed tests drive the translation with it directly, no native library involved.
/// </summary>
internal sealed class NtfsFileInfo
{
    /// <summary>The handle ZwCreateFile opened (DOKAN_FILE_INFO.Context).</summary>
    public NtfsHandle? Handle { get; set; }

    /// <summary>In: the caller asked for a directory. Out: the opened object is one.</summary>
    public bool IsDirectory { get; set; }

    /// <summary>In Cleanup: the last handle is closing and the object must go. In DeleteFile/DeleteDirectory: the requested state.</summary>
    public bool DeletePending { get; set; }

    /// <summary>I/O from the cache or memory manager: must not extend the file.</summary>
    public bool PagingIo { get; set; }

    /// <summary>Append: write at the end of the file whatever the offset.</summary>
    public bool WriteToEndOfFile { get; set; }
}

/// <summary>What GetFileInformation and FindFiles report for one file or directory (times are FILETIME values).</summary>
internal sealed record NtfsFileInformation(
    string Name,
    uint Attributes,
    long CreationTime,
    long LastAccessTime,
    long LastWriteTime,
    long Size,
    ulong FileIndex);

/// <summary>What GetVolumeInformation reports.</summary>
internal sealed record NtfsVolumeInformation(string Label, uint SerialNumber, uint MaxComponentLength, uint FileSystemFlags, string FileSystemName);
