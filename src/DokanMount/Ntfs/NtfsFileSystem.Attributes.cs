using BucketMount.Engine;
using static BucketMount.Dokan.Ntfs.NtfsConstants;

namespace BucketMount.Dokan.Ntfs;

/// <summary>
/// Attributes and times. READONLY is the absence of write bits in the file's mode (so a file made read-only
/// on Linux is read-only on Windows and back); HIDDEN, SYSTEM, ARCHIVE, TEMPORARY and NOT_CONTENT_INDEXED
/// are kept as Windows attribute bits in the object's metadata; the creation time is kept as rclone's btime.
/// Directories report their attributes but keep none (a directory is only a key prefix or marker).
/// </summary>
internal sealed partial class NtfsFileSystem
{
    public async Task<(int Status, NtfsFileInformation? Information)> GetFileInformationAsync(NtfsFileInfo info, CancellationToken cancellationToken)
    {
        if (info.Handle is not { } handle)
        {
            return (NtStatus.InvalidHandle, null);
        }

        NtfsFileInformation? result = null;
        var status = await GuardAsync(handle.Path, async () =>
        {
            var node = await engine.GetAttributesAsync(handle.Path, cancellationToken).ConfigureAwait(false);
            result = ToInformation(handle.Path, node);
            return NtStatus.Success;
        }).ConfigureAwait(false);
        return (status, result);
    }

    /// <summary>FindFilesWithPattern: the directory's entries matching a Windows pattern (DOS wildcards included).</summary>
    public async Task<(int Status, IReadOnlyList<NtfsFileInformation> Entries)> FindFilesAsync(string name, string? pattern, CancellationToken cancellationToken)
    {
        var entries = new List<NtfsFileInformation>();
        var status = await GuardAsync(name, async () =>
        {
            var path = ToEnginePath(name);
            var ignoreCase = engine.Options.CaseInsensitive;
            foreach (var node in await engine.ListDirectoryAsync(path, cancellationToken).ConfigureAwait(false))
            {
                // WIN32_FIND_DATAW holds at most 259 characters; longer names cannot be listed on Windows.
                if (node.Name.Length < 260 && (pattern is null || WindowsWildcard.IsMatch(pattern, node.Name, ignoreCase)))
                {
                    entries.Add(ToInformation(path == "/" ? "/" + node.Name : path + "/" + node.Name, node));
                }
            }

            return NtStatus.Success;
        }).ConfigureAwait(false);
        return (status, entries);
    }

    /// <summary>SetFileAttributes: 0 leaves them as they are; NORMAL alone clears them.</summary>
    public async Task<int> SetFileAttributesAsync(NtfsFileInfo info, uint attributes, CancellationToken cancellationToken)
    {
        if (info.Handle is not { } handle)
        {
            return NtStatus.InvalidHandle;
        }

        if (attributes == 0 || handle.IsDirectory)
        {
            return NtStatus.Success;
        }

        return await GuardAsync(handle.Path, async () =>
        {
            var node = await engine.GetAttributesAsync(handle.Path, cancellationToken).ConfigureAwait(false);
            await engine.SetAttributesAsync(handle.Path, AttributesChange(attributes & KeptAttributes, node), cancellationToken).ConfigureAwait(false);
            return NtStatus.Success;
        }).ConfigureAwait(false);
    }

    /// <summary>SetFileTime: null or 0 leaves a time as it is; -1 and -2 (stop/resume automatic updates) need nothing kept.</summary>
    public async Task<int> SetFileTimeAsync(NtfsFileInfo info, long? creation, long? lastAccess, long? lastWrite, CancellationToken cancellationToken)
    {
        if (info.Handle is not { } handle)
        {
            return NtStatus.InvalidHandle;
        }

        var created = Given(creation);
        var written = Given(lastWrite);
        if (handle.IsDirectory || created is null && written is null)
        {
            return NtStatus.Success;
        }

        return await GuardAsync(handle.Path, async () =>
        {
            await engine.SetAttributesAsync(handle.Path, new AttributeChanges { CreationTime = created, ModifiedTime = written }, cancellationToken).ConfigureAwait(false);
            if (written is not null)
            {
                handle.FixedWriteTime = written;
                handle.WroteAfterFixedTime = false;
            }

            return NtStatus.Success;
        }).ConfigureAwait(false);

        static DateTimeOffset? Given(long? time) => time is > 0 ? DateTimeOffset.FromFileTime(time.Value).ToUniversalTime() : null;
    }

    public NtfsVolumeInformation GetVolumeInformation()
    {
        var flags = CasePreservedNames | UnicodeOnDisk | SupportsRemoteStorage;
        if (!engine.Options.CaseInsensitive)
        {
            flags |= CaseSensitiveSearch;
        }

        if (engine.Options.ReadOnly)
        {
            flags |= ReadOnlyVolume;
        }

        return new NtfsVolumeInformation(volume.Label, volume.SerialNumber, 255, flags, "NTFS");
    }

    public (ulong FreeBytesAvailable, ulong TotalBytes, ulong TotalFreeBytes) GetDiskFreeSpace()
    {
        var statistics = engine.GetVolumeStatistics();
        return ((ulong)statistics.FreeBytes, (ulong)statistics.TotalBytes, (ulong)statistics.FreeBytes);
    }

    internal NtfsFileInformation ToInformation(string path, NodeInfo node)
    {
        var written = node.ModifiedTime.ToFileTime();
        var created = (node.CreationTime ?? node.ModifiedTime).ToFileTime();
        return new NtfsFileInformation(node.Name, AttributesOf(node), created, written, written, node.IsDirectory ? 0 : node.Size, FileIndex(path));
    }

    internal static uint AttributesOf(NodeInfo node)
    {
        if (node.IsDirectory)
        {
            return AttributeDirectory;
        }

        // Files that never had attributes set look like fresh NTFS files: ARCHIVE.
        var attributes = node.WindowsAttributes is { } kept ? (uint)kept & KeptAttributes & ~AttributeReadOnly : AttributeArchive;
        if (IsReadOnly(node))
        {
            attributes |= AttributeReadOnly;
        }

        return attributes == 0 ? AttributeNormal : attributes;
    }

    private static bool IsReadOnly(NodeInfo node) => !node.IsDirectory && node.Mode is { } mode && (mode & WriteBits) == 0;

    /// <summary>What a created, overwritten or superseded file keeps: the attributes asked for, plus ARCHIVE, minus NORMAL.</summary>
    private static uint NewFileAttributes(uint requested) => (requested & KeptAttributes) | AttributeArchive;

    /// <summary>The engine change that gives a file these attributes; READONLY goes to the mode's write bits.</summary>
    private static AttributeChanges AttributesChange(uint attributes, NodeInfo? node)
    {
        var mode = node?.Mode ?? DefaultFileMode;
        var readOnly = (attributes & AttributeReadOnly) != 0;
        int? newMode = readOnly == ((mode & WriteBits) == 0) ? null : readOnly ? mode & ~WriteBits : mode | 0x80;
        if (node is null && readOnly)
        {
            newMode = DefaultFileMode & ~WriteBits;
        }

        return new AttributeChanges { WindowsAttributes = (int)(attributes & ~AttributeReadOnly), Mode = newMode };
    }

    /// <summary>A stable 64-bit file index from the path (Windows compares it to tell files apart; there are no inodes here).</summary>
    private static ulong FileIndex(string path)
    {
        // FNV-1a over the upper-cased path: case-insensitive names must give the same index.
        var hash = 14695981039346656037UL;
        foreach (var c in path.ToUpperInvariant())
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }
}
