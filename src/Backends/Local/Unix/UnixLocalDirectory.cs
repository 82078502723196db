using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace BucketMount.Backends.Local.Unix;

/// <summary>A folder held by a directory descriptor; each call resolves one name inside it without following links.</summary>
internal sealed unsafe class UnixLocalDirectory : LocalDirectory
{
    private const uint PrivateFolderMode = 0x1C0; // 0700
    private const uint PrivateFileMode = 0x180;   // 0600
    private const uint SharedFolderMode = 0x1FF;  // 0777, narrowed by the umask like any mkdir
    private const uint SharedFileMode = 0x1B6;    // 0666, narrowed by the umask like any new file

    private int _descriptor;

    private UnixLocalDirectory(int descriptor, string path)
        : base(path) => _descriptor = descriptor;

    public static UnixLocalDirectory OpenPath(string root)
    {
        var descriptor = LibC.Open(root, LibC.ReadOnly | LibC.Directory | LibC.CloseOnExec, 0);
        if (descriptor < 0)
        {
            throw Error(Marshal.GetLastPInvokeError(), root, isFolder: true);
        }

        return new UnixLocalDirectory(descriptor, root);
    }

    public override LocalDirectory? OpenDirectory(string name, bool create, bool isPrivate)
    {
        var created = false;
        for (var attempt = 0; ; attempt++)
        {
            var descriptor = LibC.OpenAt(_descriptor, name, LibC.ReadOnly | LibC.Directory | LibC.NoFollow | LibC.CloseOnExec, 0);
            if (descriptor >= 0)
            {
                if (created && !isPrivate)
                {
                    ApplyUserUmask(descriptor, SharedFolderMode);
                }

                return new UnixLocalDirectory(descriptor, ChildPath(name));
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno is LibC.ELOOP or LibC.ENOTDIR)
            {
                var kind = Stat(name).Kind;
                if (kind == LocalEntryKind.Link)
                {
                    throw new LocalLinkException(ChildPath(name));
                }

                if (kind == LocalEntryKind.Directory && attempt < 3)
                {
                    continue; // replaced between the two calls: look again
                }

                if (!create)
                {
                    return null;
                }

                throw new LocalNotAFolderException(ChildPath(name));
            }

            if (errno != LibC.ENOENT || !create)
            {
                return errno == LibC.ENOENT ? null : throw Error(errno, ChildPath(name), isFolder: true);
            }

            if (LibC.MkdirAt(_descriptor, name, isPrivate ? PrivateFolderMode : SharedFolderMode) < 0)
            {
                errno = Marshal.GetLastPInvokeError();
                if (errno != LibC.EEXIST || attempt >= 3)
                {
                    throw Error(errno, ChildPath(name), isFolder: true);
                }
            }
            else
            {
                created = true;
            }
        }
    }

    /// <summary>Gives a folder or file this store just created the mode the user's umask gives (the process's is 077).</summary>
    private static void ApplyUserUmask(int descriptor, uint mode)
    {
        if (SharedFileModes.UserUmask is { } umask)
        {
            // Best effort: on failure the entry stays private, never wider.
            _ = LibC.Fchmod(descriptor, mode & ~umask);
        }
    }

    public override LocalEntry Stat(string name)
    {
        LibC.StatxBuffer buffer;
        if (LibC.Statx(_descriptor, name, LibC.AtSymlinkNoFollow, LibC.StatxBasicStats, &buffer) < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno is LibC.ENOENT or LibC.ENOTDIR ? new LocalEntry(name, LocalEntryKind.Missing) : throw Error(errno, ChildPath(name), isFolder: false);
        }

        var kind = (buffer.Mode & LibC.FileTypeMask) switch
        {
            LibC.TypeRegular => LocalEntryKind.File,
            LibC.TypeDirectory => LocalEntryKind.Directory,
            LibC.TypeLink => LocalEntryKind.Link,
            _ => LocalEntryKind.Other,
        };

        // The same value FileInfo.LastWriteTimeUtc gives, so sidecars written before still match.
        var modified = DateTimeOffset.FromUnixTimeSeconds(buffer.ModifiedSeconds).AddTicks(buffer.ModifiedNanoseconds / TimeSpan.NanosecondsPerTick).UtcDateTime;
        return new LocalEntry(name, kind, (long)buffer.Size, modified);
    }

    public override SafeFileHandle? OpenRead(string name)
    {
        var descriptor = LibC.OpenAt(_descriptor, name, LibC.ReadOnly | LibC.NoFollow | LibC.CloseOnExec, 0);
        if (descriptor >= 0)
        {
            return new SafeFileHandle(descriptor, ownsHandle: true);
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno switch
        {
            LibC.ENOENT => null,
            LibC.ELOOP => throw new LocalLinkException(ChildPath(name)),
            _ => throw Error(errno, ChildPath(name), isFolder: false),
        };
    }

    public override SafeFileHandle CreateNew(string name, bool isPrivate, long preallocate = 0)
    {
        var flags = LibC.WriteOnly | LibC.Create | LibC.Exclusive | LibC.NoFollow | LibC.CloseOnExec;
        var descriptor = LibC.OpenAt(_descriptor, name, flags, isPrivate ? PrivateFileMode : SharedFileMode);
        if (descriptor < 0)
        {
            throw Error(Marshal.GetLastPInvokeError(), ChildPath(name), isFolder: false);
        }

        if (!isPrivate)
        {
            ApplyUserUmask(descriptor, SharedFileMode);
        }

        var handle = new SafeFileHandle(descriptor, ownsHandle: true);
        if (preallocate > 0 && LibC.PosixFallocate(descriptor, 0, preallocate) is LibC.ENOSPC or LibC.EFBIG)
        {
            // Other failures (a file system without fallocate) only cost the reservation, as in .NET's own preallocation.
            handle.Dispose();
            Delete(name);
            throw new IOException($"'{ChildPath(name)}': no space left for {preallocate} bytes.", LibC.ENOSPC);
        }

        return handle;
    }

    public override void Rename(string name, LocalDirectory target, string targetName)
    {
        var to = (UnixLocalDirectory)target;
        if (LibC.RenameAt(_descriptor, name, to._descriptor, targetName) < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw errno == LibC.EISDIR
                ? new LocalNotAFolderException(to.ChildPath(targetName))
                : Error(errno, to.ChildPath(targetName), isFolder: false);
        }
    }

    public override bool Delete(string name)
    {
        if (LibC.UnlinkAt(_descriptor, name, 0) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno == LibC.ENOENT ? false : throw Error(errno, ChildPath(name), isFolder: false);
    }

    public override bool RemoveEmptyDirectory(string name) => LibC.UnlinkAt(_descriptor, name, LibC.AtRemoveDir) == 0;

    public override List<LocalEntry> Enumerate()
    {
        // A descriptor of its own for the listing: "." is never a link, and closedir closes only this one.
        var own = LibC.OpenAt(_descriptor, ".", LibC.ReadOnly | LibC.Directory | LibC.CloseOnExec, 0);
        if (own < 0)
        {
            throw Error(Marshal.GetLastPInvokeError(), FullPath, isFolder: true);
        }

        var stream = LibC.FdOpenDir(own);
        if (stream == 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            LibC.Close(own);
            throw Error(errno, FullPath, isFolder: true);
        }

        try
        {
            var entries = new List<LocalEntry>();
            for (var entry = LibC.ReadDir(stream); entry != 0; entry = LibC.ReadDir(stream))
            {
                var name = Marshal.PtrToStringUTF8(entry + LibC.DirentNameOffset)!;
                if (name is "." or "..")
                {
                    continue;
                }

                var kind = *(byte*)(entry + LibC.DirentTypeOffset) switch
                {
                    LibC.DirentRegular => LocalEntryKind.File,
                    LibC.DirentDirectory => LocalEntryKind.Directory,
                    LibC.DirentLink => LocalEntryKind.Link,
                    LibC.DirentUnknown => Stat(name).Kind,
                    _ => LocalEntryKind.Other,
                };
                entries.Add(new LocalEntry(name, kind));
            }

            return entries;
        }
        finally
        {
            LibC.CloseDir(stream);
        }
    }

    public override bool MakePrivate()
    {
        LibC.StatxBuffer buffer;
        if (LibC.Statx(_descriptor, "", LibC.AtEmptyPath, LibC.StatxBasicStats, &buffer) < 0 || (buffer.Mode & 0x3F) == 0)
        {
            return false;
        }

        if (LibC.Fchmod(_descriptor, PrivateFolderMode) < 0)
        {
            throw Error(Marshal.GetLastPInvokeError(), FullPath, isFolder: true);
        }

        return true;
    }

    public override void Dispose()
    {
        var descriptor = Interlocked.Exchange(ref _descriptor, -1);
        if (descriptor >= 0)
        {
            LibC.Close(descriptor);
        }
    }

    /// <summary>An errno as the exception the store's error mapping understands (LocalErrors).</summary>
    private static Exception Error(int errno, string path, bool isFolder) => errno switch
    {
        LibC.ENOENT when isFolder => new DirectoryNotFoundException($"'{path}' does not exist."),
        LibC.ENOENT => new FileNotFoundException($"'{path}' does not exist.", path),
        LibC.EACCES or LibC.EPERM => new UnauthorizedAccessException($"'{path}': {Marshal.GetPInvokeErrorMessage(errno)}"),
        _ => new IOException($"'{path}': {Marshal.GetPInvokeErrorMessage(errno)}", errno),
    };
}
