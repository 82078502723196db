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
    private int _unmounted;

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

    /// <summary>Detaches the mount (no new operations) and waits for libfuse's loop to end.</summary>
    public void Unmount()
    {
        if (Interlocked.Exchange(ref _unmounted, 1) != 0)
        {
            return;
        }

        FuseNative.FuseExit(_fuse);
        Detach(MountPoint);
        if (!_loopThread.Join(TimeSpan.FromSeconds(30)))
        {
            throw new TimeoutException($"the FUSE loop for '{MountPoint}' did not stop within 30 s of unmounting.");
        }

        _fileSystem.ReleaseAll();
        FuseNative.FuseDestroy(_fuse);
        FreeNative();
    }

    public void Dispose() => Unmount();

    private static void Detach(string mountPoint)
    {
        if (FuseNative.GetUid() == 0 && FuseNative.Umount2(mountPoint, FuseNative.MntDetach) == 0)
        {
            return;
        }

        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("fusermount3", ["-u", "-z", mountPoint])
        {
            RedirectStandardError = true,
            UseShellExecute = false,
        });
        process?.WaitForExit(10_000);
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
        var list = new List<string> { $"fsname={options.FsName}", $"subtype={options.Subtype}" };
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
