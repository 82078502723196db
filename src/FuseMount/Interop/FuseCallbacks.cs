using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using BucketMount.Engine;
using BucketMount.Engine.Namespace;

namespace BucketMount.Fuse.Interop;

/// <summary>
/// The static entry points libfuse calls (static, so no delegate can be collected under it). Each finds its
/// file system through the GCHandle in fuse_context.private_data, makes one call, and catches everything:
/// nothing managed unwinds into native code.
/// </summary>
internal static unsafe class FuseCallbacks
{
    public static FuseOperations Table() => new()
    {
        GetAttr = (nint)(delegate* unmanaged<byte*, Stat*, FuseFileInfo*, int>)&GetAttr,
        ReadLink = (nint)(delegate* unmanaged<byte*, byte*, nuint, int>)&ReadLink,
        MkNod = (nint)(delegate* unmanaged<byte*, uint, ulong, int>)&MkNod,
        MkDir = (nint)(delegate* unmanaged<byte*, uint, int>)&MkDir,
        Unlink = (nint)(delegate* unmanaged<byte*, int>)&Unlink,
        RmDir = (nint)(delegate* unmanaged<byte*, int>)&RmDir,
        Symlink = (nint)(delegate* unmanaged<byte*, byte*, int>)&Symlink,
        Rename = (nint)(delegate* unmanaged<byte*, byte*, uint, int>)&Rename,
        Link = (nint)(delegate* unmanaged<byte*, byte*, int>)&Link,
        Chmod = (nint)(delegate* unmanaged<byte*, uint, FuseFileInfo*, int>)&Chmod,
        Chown = (nint)(delegate* unmanaged<byte*, uint, uint, FuseFileInfo*, int>)&Chown,
        Truncate = (nint)(delegate* unmanaged<byte*, long, FuseFileInfo*, int>)&Truncate,
        Open = (nint)(delegate* unmanaged<byte*, FuseFileInfo*, int>)&Open,
        Read = (nint)(delegate* unmanaged<byte*, byte*, nuint, long, FuseFileInfo*, int>)&Read,
        Write = (nint)(delegate* unmanaged<byte*, byte*, nuint, long, FuseFileInfo*, int>)&Write,
        StatFs = (nint)(delegate* unmanaged<byte*, StatVfs*, int>)&StatFs,
        Flush = (nint)(delegate* unmanaged<byte*, FuseFileInfo*, int>)&Flush,
        Release = (nint)(delegate* unmanaged<byte*, FuseFileInfo*, int>)&Release,
        Fsync = (nint)(delegate* unmanaged<byte*, int, FuseFileInfo*, int>)&Fsync,
        ReadDir = (nint)(delegate* unmanaged<byte*, nint, delegate* unmanaged<nint, byte*, Stat*, long, int, int>, long, FuseFileInfo*, int, int>)&ReadDir,
        Init = (nint)(delegate* unmanaged<FuseConnInfo*, FuseConfig*, nint>)&Init,
        Access = (nint)(delegate* unmanaged<byte*, int, int>)&Access,
        Create = (nint)(delegate* unmanaged<byte*, uint, FuseFileInfo*, int>)&Create,
        Utimens = (nint)(delegate* unmanaged<byte*, Timespec*, FuseFileInfo*, int>)&Utimens,
        Fallocate = (nint)(delegate* unmanaged<byte*, int, long, long, FuseFileInfo*, int>)&Fallocate,
    };

    private static FuseFileSystem Fs => (FuseFileSystem)GCHandle.FromIntPtr(FuseNative.FuseGetContext()->PrivateData).Target!;

    /// <summary>
    /// A path as the kernel gives it: bytes, not necessarily UTF-8. Decoding it as UTF-8 would turn "x\xff" and
    /// "x\xfe" into the same "x\uFFFD"; <see cref="RawNames"/> keeps every byte.
    /// </summary>
    private static string PathOf(byte* path) =>
        path is null ? "/" : RawNames.FromBytes(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(path));

    [UnmanagedCallersOnly]
    private static int GetAttr(byte* path, Stat* stat, FuseFileInfo* info)
    {
        try
        {
            var result = Fs.GetAttr(PathOf(path), stat, info);
            return FuseTrace.Enabled ? FuseTrace.Done("getattr", PathOf(path), result) : result;
        }
        catch (Exception e)
        {
            return FuseTrace.Enabled ? FuseTrace.Done("getattr", PathOf(path), Fail(e)) : Fail(e);
        }
    }

    [UnmanagedCallersOnly]
    private static int ReadLink(byte* path, byte* buffer, nuint size)
    {
        try
        {
            var result = Fs.ReadLink(PathOf(path), buffer, size);
            return FuseTrace.Enabled ? FuseTrace.Done("readlink", PathOf(path), result) : result;
        }
        catch (Exception e)
        {
            return FuseTrace.Enabled ? FuseTrace.Done("readlink", PathOf(path), Fail(e)) : Fail(e);
        }
    }

    [UnmanagedCallersOnly]
    private static int MkNod(byte* path, uint mode, ulong device)
    {
        try
        {
            var caller = FuseNative.FuseGetContext();
            var result = Fs.MkNod(PathOf(path), mode, device, caller->Uid, caller->Gid);
            return FuseTrace.Enabled ? FuseTrace.Done("mknod", PathOf(path), result) : result;
        }
        catch (Exception e)
        {
            return FuseTrace.Enabled ? FuseTrace.Done("mknod", PathOf(path), Fail(e)) : Fail(e);
        }
    }

    [UnmanagedCallersOnly]
    private static int MkDir(byte* path, uint mode)
    {
        try
        {
            var caller = FuseNative.FuseGetContext();
            var result = Fs.MkDir(PathOf(path), mode, caller->Uid, caller->Gid);
            return FuseTrace.Enabled ? FuseTrace.Done("mkdir", PathOf(path), result) : result;
        }
        catch (Exception e)
        {
            return FuseTrace.Enabled ? FuseTrace.Done("mkdir", PathOf(path), Fail(e)) : Fail(e);
        }
    }

    [UnmanagedCallersOnly]
    private static int Unlink(byte* path)
    {
        try
        {
            var result = Fs.Unlink(PathOf(path));
            return FuseTrace.Enabled ? FuseTrace.Done("unlink", PathOf(path), result) : result;
        }
        catch (Exception e)
        {
            return FuseTrace.Enabled ? FuseTrace.Done("unlink", PathOf(path), Fail(e)) : Fail(e);
        }
    }

    [UnmanagedCallersOnly]
    private static int RmDir(byte* path)
    {
        try
        {
            var result = Fs.RmDir(PathOf(path));
            return FuseTrace.Enabled ? FuseTrace.Done("rmdir", PathOf(path), result) : result;
        }
        catch (Exception e)
        {
            return FuseTrace.Enabled ? FuseTrace.Done("rmdir", PathOf(path), Fail(e)) : Fail(e);
        }
    }

    [UnmanagedCallersOnly]
    private static int Symlink(byte* target, byte* path)
    {
        try
        {
            var result = Fs.Symlink(PathOf(target), PathOf(path));
            return FuseTrace.Enabled ? FuseTrace.Done("symlink", PathOf(target), result) : result;
        }
        catch (Exception e)
        {
            return FuseTrace.Enabled ? FuseTrace.Done("symlink", PathOf(target), Fail(e)) : Fail(e);
        }
    }

    [UnmanagedCallersOnly]
    private static int Rename(byte* from, byte* to, uint flags)
    {
        try
        {
            var result = Fs.Rename(PathOf(from), PathOf(to), flags);
            return FuseTrace.Enabled ? FuseTrace.Done("rename", PathOf(from), result) : result;
        }
        catch (Exception e)
        {
            return FuseTrace.Enabled ? FuseTrace.Done("rename", PathOf(from), Fail(e)) : Fail(e);
        }
    }

    [UnmanagedCallersOnly]
    private static int Link(byte* from, byte* to)
    {
        try
        {
            var result = Fs.Link(PathOf(from), PathOf(to));
            return FuseTrace.Enabled ? FuseTrace.Done("link", PathOf(from), result) : result;
        }
        catch (Exception e)
        {
            return FuseTrace.Enabled ? FuseTrace.Done("link", PathOf(from), Fail(e)) : Fail(e);
        }
    }

    [UnmanagedCallersOnly]
    private static int Chmod(byte* path, uint mode, FuseFileInfo* info)
    {
        try
        {
            var result = Fs.Chmod(PathOf(path), mode);
            return FuseTrace.Enabled ? FuseTrace.Done("chmod", PathOf(path), result) : result;
        }
        catch (Exception e)
        {
            return FuseTrace.Enabled ? FuseTrace.Done("chmod", PathOf(path), Fail(e)) : Fail(e);
        }
    }

    [UnmanagedCallersOnly]
    private static int Chown(byte* path, uint uid, uint gid, FuseFileInfo* info)
    {
        try
        {
            var result = Fs.Chown(PathOf(path), uid, gid);
            return FuseTrace.Enabled ? FuseTrace.Done("chown", PathOf(path), result) : result;
        }
        catch (Exception e)
        {
            return FuseTrace.Enabled ? FuseTrace.Done("chown", PathOf(path), Fail(e)) : Fail(e);
        }
    }

    [UnmanagedCallersOnly]
    private static int Truncate(byte* path, long size, FuseFileInfo* info)
    {
        try
        {
            var result = Fs.Truncate(PathOf(path), size, info);
            return FuseTrace.Enabled ? FuseTrace.Done("truncate", PathOf(path), result) : result;
        }
        catch (Exception e)
        {
            return FuseTrace.Enabled ? FuseTrace.Done("truncate", PathOf(path), Fail(e)) : Fail(e);
        }
    }

    [UnmanagedCallersOnly]
    private static int Open(byte* path, FuseFileInfo* info)
    {
        try
        {
            var result = Fs.Open(PathOf(path), info);
            return FuseTrace.Enabled ? FuseTrace.Done("open", PathOf(path), result) : result;
        }
        catch (Exception e)
        {
            return FuseTrace.Enabled ? FuseTrace.Done("open", PathOf(path), Fail(e)) : Fail(e);
        }
    }

    [UnmanagedCallersOnly]
    private static int Create(byte* path, uint mode, FuseFileInfo* info)
    {
        try
        {
            var caller = FuseNative.FuseGetContext();
            var result = Fs.Create(PathOf(path), info, mode, caller->Uid, caller->Gid);
            return FuseTrace.Enabled ? FuseTrace.Done("create", PathOf(path), result) : result;
        }
        catch (Exception e)
        {
            return FuseTrace.Enabled ? FuseTrace.Done("create", PathOf(path), Fail(e)) : Fail(e);
        }
    }

    [UnmanagedCallersOnly]
    private static int Read(byte* path, byte* buffer, nuint size, long offset, FuseFileInfo* info)
    {
        try
        {
            var result = Fs.Read(info, buffer, size, offset);
            return FuseTrace.Enabled ? FuseTrace.Done("read", PathOf(path), result) : result;
        }
        catch (Exception e)
        {
            return FuseTrace.Enabled ? FuseTrace.Done("read", PathOf(path), Fail(e)) : Fail(e);
        }
    }

    [UnmanagedCallersOnly]
    private static int Write(byte* path, byte* buffer, nuint size, long offset, FuseFileInfo* info)
    {
        try
        {
            var result = Fs.Write(info, buffer, size, offset);
            return FuseTrace.Enabled ? FuseTrace.Done("write", PathOf(path), result) : result;
        }
        catch (Exception e)
        {
            return FuseTrace.Enabled ? FuseTrace.Done("write", PathOf(path), Fail(e)) : Fail(e);
        }
    }

    [UnmanagedCallersOnly]
    private static int StatFs(byte* path, StatVfs* stat)
    {
        try
        {
            var result = Fs.StatFs(stat);
            return FuseTrace.Enabled ? FuseTrace.Done("statfs", PathOf(path), result) : result;
        }
        catch (Exception e)
        {
            return FuseTrace.Enabled ? FuseTrace.Done("statfs", PathOf(path), Fail(e)) : Fail(e);
        }
    }

    [UnmanagedCallersOnly]
    private static int Flush(byte* path, FuseFileInfo* info)
    {
        try
        {
            var result = Fs.Flush(info);
            return FuseTrace.Enabled ? FuseTrace.Done("flush", PathOf(path), result) : result;
        }
        catch (Exception e)
        {
            return FuseTrace.Enabled ? FuseTrace.Done("flush", PathOf(path), Fail(e)) : Fail(e);
        }
    }

    [UnmanagedCallersOnly]
    private static int Release(byte* path, FuseFileInfo* info)
    {
        try
        {
            var result = Fs.Release(info);
            return FuseTrace.Enabled ? FuseTrace.Done("release", PathOf(path), result) : result;
        }
        catch (Exception e)
        {
            return FuseTrace.Enabled ? FuseTrace.Done("release", PathOf(path), Fail(e)) : Fail(e);
        }
    }

    [UnmanagedCallersOnly]
    private static int Fsync(byte* path, int dataOnly, FuseFileInfo* info)
    {
        try
        {
            var result = Fs.Fsync(info);
            return FuseTrace.Enabled ? FuseTrace.Done("fsync", PathOf(path), result) : result;
        }
        catch (Exception e)
        {
            return FuseTrace.Enabled ? FuseTrace.Done("fsync", PathOf(path), Fail(e)) : Fail(e);
        }
    }

    [UnmanagedCallersOnly]
    private static int ReadDir(byte* path, nint buffer, delegate* unmanaged<nint, byte*, Stat*, long, int, int> filler, long offset, FuseFileInfo* info, int flags)
    {
        try
        {
            var result = Fs.ReadDir(PathOf(path), buffer, filler);
            return FuseTrace.Enabled ? FuseTrace.Done("readdir", PathOf(path), result) : result;
        }
        catch (Exception e)
        {
            return FuseTrace.Enabled ? FuseTrace.Done("readdir", PathOf(path), Fail(e)) : Fail(e);
        }
    }

    [UnmanagedCallersOnly]
    private static nint Init(FuseConnInfo* connection, FuseConfig* config)
    {
        try
        {
            var fs = Fs;
            // libfuse hides a file unlinked (or replaced by a rename) while open under a ".fuse_hidden…" name
            // until its last release, so that fstat, which the kernel sends without the file handle, still finds
            // it by path. The file system takes that rename as the unlink it is (see FuseFileSystem.Rename); with
            // hard_remove such an fstat failed with ESTALE.
            config->HardRemove = 0;
            config->UseIno = 0;
            config->NullpathOk = 0;
            config->EntryTimeout = fs.Options.AttributeTimeout.TotalSeconds;
            config->AttrTimeout = config->EntryTimeout;
            config->NegativeTimeout = 0;
            connection->Want |= connection->Capable & (FuseConnInfo.CapReaddirPlus | FuseConnInfo.CapParallelDirops);
        }
        catch (Exception)
        {
            // Keep libfuse's defaults.
        }

        return FuseNative.FuseGetContext()->PrivateData;
    }

    [UnmanagedCallersOnly]
    private static int Access(byte* path, int mask)
    {
        try
        {
            var result = Fs.Access(PathOf(path));
            return FuseTrace.Enabled ? FuseTrace.Done("access", PathOf(path), result) : result;
        }
        catch (Exception e)
        {
            return FuseTrace.Enabled ? FuseTrace.Done("access", PathOf(path), Fail(e)) : Fail(e);
        }
    }

    [UnmanagedCallersOnly]
    private static int Utimens(byte* path, Timespec* times, FuseFileInfo* info)
    {
        try
        {
            var result = Fs.Utimens(PathOf(path), times);
            return FuseTrace.Enabled ? FuseTrace.Done("utimens", PathOf(path), result) : result;
        }
        catch (Exception e)
        {
            return FuseTrace.Enabled ? FuseTrace.Done("utimens", PathOf(path), Fail(e)) : Fail(e);
        }
    }

    [UnmanagedCallersOnly]
    private static int Fallocate(byte* path, int mode, long offset, long length, FuseFileInfo* info)
    {
        try
        {
            var result = Fs.Fallocate(mode, offset, length, info);
            return FuseTrace.Enabled ? FuseTrace.Done("fallocate", PathOf(path), result) : result;
        }
        catch (Exception e)
        {
            return FuseTrace.Enabled ? FuseTrace.Done("fallocate", PathOf(path), Fail(e)) : Fail(e);
        }
    }

    /// <summary>The negative errno a failed callback answers; never throws (it runs inside a native callback).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static int Fail(Exception error) => error switch
    {
        FileSystemException fs => -Errno.From(fs.Error),
        RequestInterruptedException => -Errno.EINTR,
        TimeoutException => -Errno.ETIMEDOUT,
        _ => FailUnexpected(error),
    };

    private static int FailUnexpected(Exception error)
    {
        FuseErrorLog.Once("exception:" + error.GetType().FullName, "a request failed unexpectedly and answered EIO (input/output error): " + error.Message);
        FuseMountHost.ReportUnexpected(error);
        return -Errno.EIO;
    }
}
