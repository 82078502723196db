using System.Runtime.InteropServices;
using BucketMount.Engine;
using BucketMount.Engine.Hosting;
using BucketMount.Fuse.Interop;

namespace BucketMount.Fuse;

/// <summary>
/// One FUSE mount of an engine: builds the argument list and operations table in native memory, mounts, runs
/// libfuse's multi-threaded loop on a dedicated thread, and unmounts. Dispose (or <see cref="Unmount"/>) detaches
/// the mount and waits for the loop; the engine's own shutdown (uploads) is the caller's next step.
/// </summary>
public sealed unsafe class FuseMountHost : IMountHost, IDisposable
{
    private static Action<Exception>? s_unexpected;
    private readonly FuseFileSystem _fileSystem;
    private readonly GCHandle _self;
    private readonly FuseOperations* _operations;
    private readonly FuseArgs* _args;
    private readonly List<nint> _strings = [];
    private readonly nint _fuse;
    private readonly Thread _loopThread;
    private readonly TaskCompletionSource<int> _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _detached;
    private int _closed;

    private FuseMountHost(MountEngine engine, string mountPoint, FuseMountOptions options)
    {
        MountPoint = Path.GetFullPath(mountPoint);
        Options = options;
        _fileSystem = new FuseFileSystem(engine, options);
        _self = GCHandle.Alloc(_fileSystem);
        _operations = (FuseOperations*)NativeMemory.AllocZeroed((nuint)sizeof(FuseOperations));
        *_operations = FuseCallbacks.Table();
        _args = (FuseArgs*)NativeMemory.AllocZeroed((nuint)sizeof(FuseArgs));
        BuildArguments(options);
        _fuse = FuseNative.FuseNew(_args, _operations, (nuint)sizeof(FuseOperations), GCHandle.ToIntPtr(_self));
        if (_fuse == 0)
        {
            FreeNative();
            throw new InvalidOperationException($"libfuse refused the mount options ({MountOptionsText(options)}).");
        }

        if (FuseNative.FuseMount(_fuse, MountPoint) != 0)
        {
            FuseNative.FuseDestroy(_fuse);
            FreeNative();
            throw new InvalidOperationException(
                $"mounting at '{MountPoint}' failed: check that it is an existing, empty directory not already mounted, and that /dev/fuse is usable (libfuse printed the reason above).");
        }

        _loopThread = new Thread(RunLoop) { IsBackground = true, Name = "fuse-loop" };
        _loopThread.Start();
    }

    public string MountPoint { get; }

    public FuseMountOptions Options { get; }

    /// <summary>Completes with the loop's result once the mount is gone (unmounted here or from outside).</summary>
    public Task<int> Stopped => _stopped.Task;

    Task IMountHost.Stopped => Stopped;

    /// <summary>Mounts <paramref name="engine"/> at <paramref name="mountPoint"/> and returns once the kernel has the mount.</summary>
    public static FuseMountHost Mount(MountEngine engine, string mountPoint, FuseMountOptions options)
    {
        FuseLibrary.EnsureAvailable();
        if (!Directory.Exists(mountPoint))
        {
            throw new DirectoryNotFoundException($"the mount point '{mountPoint}' does not exist: create the directory first.");
        }

        return new FuseMountHost(engine, mountPoint, options);
    }

    /// <summary>Where unexpected exceptions in callbacks are reported (they become EIO).</summary>
    public static void OnUnexpectedError(Action<Exception> report) => s_unexpected = report;

    internal static void ReportUnexpected(Exception error) => s_unexpected?.Invoke(error);

    /// <summary>
    /// Unmounts; when programs still use the mount (EBUSY), names them and detaches it lazily, so they keep working
    /// in it and the loop keeps serving them until the last lets go. The loop ends by itself once the kernel drops
    /// the connection (<see cref="Stopped"/>); libfuse's exit flag is not used, since it would stop serving
    /// programs that are still inside.
    /// </summary>
    public IReadOnlyList<MountHolder> Detach()
    {
        if (Interlocked.Exchange(ref _detached, 1) != 0 || _stopped.Task.IsCompleted)
        {
            return [];
        }

        if (TryUnmount(MountPoint, lazy: false))
        {
            return [];
        }

        var holders = MountHolders.Find(MountPoint);
        TryUnmount(MountPoint, lazy: true);
        return holders;
    }

    /// <summary>
    /// Once the loop has ended, releases what the kernel left open (see <see cref="FuseFileSystem.CloseAll"/>) and
    /// frees the native state. Before that (a forced end while programs are still inside) it only reports the files
    /// written and never closed: the loop's threads still use the native state, and the process is about to exit.
    /// </summary>
    public IReadOnlyList<string> Close()
    {
        if (!_stopped.Task.IsCompleted)
        {
            return _fileSystem.WrittenAndOpen();
        }

        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return [];
        }

        var dropped = _fileSystem.CloseAll();
        FuseNative.FuseDestroy(_fuse);
        FreeNative();
        return dropped;
    }

    public void Dispose()
    {
        Detach();
        if (_stopped.Task.Wait(TimeSpan.FromSeconds(30)))
        {
            Close();
        }
    }

    /// <summary>umount2 as root, fusermount3 otherwise; false when the kernel refused (busy, or already gone).</summary>
    internal static bool TryUnmount(string mountPoint, bool lazy)
    {
        if (FuseNative.GetUid() == 0)
        {
            return FuseNative.Umount2(mountPoint, lazy ? FuseNative.MntDetach : 0) == 0;
        }

        var info = new System.Diagnostics.ProcessStartInfo("fusermount3") { RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(lazy ? "-uz" : "-u");
        info.ArgumentList.Add(mountPoint);
        using var process = System.Diagnostics.Process.Start(info);
        if (process is null)
        {
            return false;
        }

        process.StandardError.ReadToEnd();
        return process.WaitForExit(10_000) && process.ExitCode == 0;
    }

    private void RunLoop()
    {
        var config = FuseNative.FuseLoopConfigCreate();
        try
        {
            FuseNative.FuseLoopConfigSetMaxThreads(config, Options.MaxThreads);
            _stopped.TrySetResult(FuseNative.FuseLoopMt(_fuse, config));
        }
        catch (Exception e)
        {
            _stopped.TrySetException(e);
        }
        finally
        {
            FuseNative.FuseLoopConfigDestroy(config);
        }
    }

    private static string MountOptionsText(FuseMountOptions options)
    {
        var list = new List<string>
        {
            $"fsname={options.FsName}",
            $"subtype={options.Subtype}",
            // libfuse's own option (not the kernel's): it prunes remembered numbers from a thread of its own.
            $"remember={(int)options.InodeNumberMemory.TotalSeconds}",
        };
        if (options.AllowOther)
        {
            list.Add("allow_other");
        }

        if (options.UsesDefaultPermissions)
        {
            list.Add("default_permissions");
        }

        if (options.ReadOnly)
        {
            list.Add("ro");
        }

        return string.Join(',', list);
    }

    private void BuildArguments(FuseMountOptions options)
    {
        string[] arguments = ["bucketmount", "-o", MountOptionsText(options)];
        var argv = (byte**)NativeMemory.AllocZeroed((nuint)(sizeof(byte*) * (arguments.Length + 1)));
        _strings.Add((nint)argv);
        for (var i = 0; i < arguments.Length; i++)
        {
            var native = Marshal.StringToCoTaskMemUTF8(arguments[i]);
            _strings.Add(native);
            argv[i] = (byte*)native;
        }

        _args->Argc = arguments.Length;
        _args->Argv = argv;
    }

    private void FreeNative()
    {
        FuseNative.FuseOptFreeArgs(_args);
        foreach (var pointer in _strings.Skip(1))
        {
            Marshal.FreeCoTaskMem(pointer);
        }

        NativeMemory.Free((void*)_strings[0]);
        NativeMemory.Free(_args);
        NativeMemory.Free(_operations);
        _self.Free();
    }
}
