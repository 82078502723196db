using Microsoft.Win32.SafeHandles;

namespace BucketMount.Backends.Local;

/// <summary>
/// A folder named by its path, for systems without the Linux calls (Windows, macOS): each name is checked for
/// a link (or junction) before use. Between that check and the use a local attacker could still swap a folder;
/// on Linux <see cref="Unix.UnixLocalDirectory"/> closes that gap.
/// </summary>
internal sealed class PathLocalDirectory : LocalDirectory
{
    private PathLocalDirectory(string path)
        : base(path)
    {
    }

    public static PathLocalDirectory OpenPath(string root) =>
        Directory.Exists(root) ? new PathLocalDirectory(root) : throw new DirectoryNotFoundException($"'{root}' does not exist.");

    public override LocalDirectory? OpenDirectory(string name, bool create, bool isPrivate)
    {
        var path = Path.Combine(FullPath, name);
        switch (Stat(name).Kind)
        {
            case LocalEntryKind.Link:
                throw new LocalLinkException(path);
            case LocalEntryKind.Directory:
                return new PathLocalDirectory(path);
            case LocalEntryKind.Missing when create:
                if (isPrivate && !OperatingSystem.IsWindows())
                {
                    Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                }
                else
                {
                    Directory.CreateDirectory(path);
                }

                return new PathLocalDirectory(path);
            case LocalEntryKind.Missing:
                return null;
            default:
                return create ? throw new LocalNotAFolderException(path) : null;
        }
    }

    public override LocalEntry Stat(string name)
    {
        var path = Path.Combine(FullPath, name);
        FileSystemInfo info = new FileInfo(path);
        if (!info.Exists)
        {
            info = new DirectoryInfo(path);
            if (!info.Exists)
            {
                return new LocalEntry(name, info.LinkTarget is null ? LocalEntryKind.Missing : LocalEntryKind.Link);
            }
        }

        if (info.LinkTarget is not null || info.Attributes.HasFlag(FileAttributes.ReparsePoint))
        {
            return new LocalEntry(name, LocalEntryKind.Link);
        }

        return info is FileInfo file
            ? new LocalEntry(name, LocalEntryKind.File, file.Length, file.LastWriteTimeUtc)
            : new LocalEntry(name, LocalEntryKind.Directory);
    }

    public override SafeFileHandle? OpenRead(string name) => Stat(name).Kind switch
    {
        LocalEntryKind.Missing => null,
        LocalEntryKind.Link => throw new LocalLinkException(Path.Combine(FullPath, name)),
        _ => File.OpenHandle(Path.Combine(FullPath, name), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.Asynchronous),
    };

    public override SafeFileHandle CreateNew(string name, bool isPrivate, long preallocate = 0)
    {
        var handle = File.OpenHandle(Path.Combine(FullPath, name), FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.None, preallocate);
        if (isPrivate && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(handle, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return handle;
    }

    public override void Rename(string name, LocalDirectory target, string targetName)
    {
        var destination = Path.Combine(target.FullPath, targetName);
        if (Directory.Exists(destination))
        {
            throw new LocalNotAFolderException(destination);
        }

        File.Move(Path.Combine(FullPath, name), destination, overwrite: true);
    }

    public override bool Delete(string name)
    {
        var path = Path.Combine(FullPath, name);
        if (!File.Exists(path) && new FileInfo(path).LinkTarget is null)
        {
            return false;
        }

        File.Delete(path);
        return true;
    }

    public override bool RemoveEmptyDirectory(string name)
    {
        try
        {
            var path = Path.Combine(FullPath, name);
            if (Stat(name).Kind != LocalEntryKind.Directory || Directory.EnumerateFileSystemEntries(path).Any())
            {
                return false;
            }

            Directory.Delete(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    public override List<LocalEntry> Enumerate() =>
        new DirectoryInfo(FullPath).EnumerateFileSystemInfos()
            .Select(info => new LocalEntry(info.Name,
                info.LinkTarget is not null || info.Attributes.HasFlag(FileAttributes.ReparsePoint) ? LocalEntryKind.Link
                : info is DirectoryInfo ? LocalEntryKind.Directory : LocalEntryKind.File))
            .ToList();

    public override bool MakePrivate()
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        const UnixFileMode Wide = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        if ((File.GetUnixFileMode(FullPath) & Wide) == 0)
        {
            return false;
        }

        File.SetUnixFileMode(FullPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return true;
    }

    public override void Dispose()
    {
    }
}
