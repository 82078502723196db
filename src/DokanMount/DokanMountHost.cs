using System.Runtime.InteropServices;
using BucketMount.Dokan.Interop;
using BucketMount.Dokan.Ntfs;
using BucketMount.Engine;
using BucketMount.Engine.Hosting;
using Microsoft.Extensions.Logging;

namespace BucketMount.Dokan;

/// <summary>
/// One Dokan mount of an engine: DOKAN_OPTIONS, the operations table and the mount point string live in native
/// memory, and the dispatcher in a GCHandle, until DokanCloseHandle has returned (dokan2 keeps the pointers for
/// the whole mount). The lifecycle is one ordered sequence, as DokanNet's: DokanInit, DokanCreateFileSystem, then
/// one thread that owns the instance waits for the file system to close (an unmount from outside) or for
/// <see cref="Detach"/>, and only then calls DokanCloseHandle (which removes the mount point the driver assigned)
/// and DokanShutdown (DokanInit is reference-counted, so each mount pairs its own). No other thread touches the
/// instance, so nothing waits on it after it is freed; nothing runs in a ProcessExit handler.
/// </summary>
public sealed unsafe partial class DokanMountHost : IMountHost, IDisposable
{
    private const uint OptionDebug = 0x1;
    private const uint OptionStderr = 0x2;
    private const uint OptionWriteProtect = 0x8;
    private const uint OptionNetwork = 0x10;
    private const uint OptionRemovable = 0x20;
    private const uint OptionMountManager = 0x40;
    private const uint OptionCurrentSession = 0x80;
    private const uint OptionFileLockUserMode = 0x100;
    private const uint OptionCaseSensitive = 0x200;

    private readonly DokanDispatcher _dispatcher;
    private readonly GCHandle _self;
    private readonly DokanOptions* _options;
    private readonly DokanOperations* _operations;
    private readonly nint _mountPointString;
    private readonly nint _uncString;
    private readonly nint _instance;
    private readonly Thread _owner;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ILogger _logger;
    private volatile bool _unmountRequested;
    private int _unmounted;
    private int _closed;
    private bool _released;

    private DokanMountHost(MountEngine engine, string mountPoint, DokanMountOptions options, ILogger logger)
    {
        _logger = logger;
        var serial = VolumeSerial(mountPoint);
        _dispatcher = new DokanDispatcher(new NtfsFileSystem(engine, new NtfsVolumeOptions(options.VolumeLabel, serial), logger), logger);
        _self = GCHandle.Alloc(_dispatcher);
        _options = (DokanOptions*)NativeMemory.AllocZeroed((nuint)sizeof(DokanOptions));
        _operations = (DokanOperations*)NativeMemory.AllocZeroed((nuint)sizeof(DokanOperations));
        *_operations = DokanCallbacks.Table();
        _mountPointString = Marshal.StringToHGlobalUni(mountPoint);
        _uncString = options.NetworkUncName is { } unc ? Marshal.StringToHGlobalUni(unc) : 0;

        _options->Version = DokanNative.Version;
        _options->Options = Flags(options, mountPoint);
        _options->GlobalContext = (ulong)GCHandle.ToIntPtr(_self);
        _options->MountPoint = (char*)_mountPointString;
        _options->UncName = (char*)_uncString;
        _options->Timeout = (uint)options.RequestTimeout.TotalMilliseconds;
        _options->AllocationUnitSize = 4096;
        _options->SectorSize = 4096;

        // Mounting without DokanInit kills the process (SEH 0x0F0FF0FF).
        DokanNative.DokanInit();
        nint instance;
        var result = DokanNative.DokanCreateFileSystem(_options, _operations, &instance);
        if (result != 0)
        {
            DokanNative.DokanShutdown();
            FreeNative();
            throw new InvalidOperationException(DokanLibrary.DescribeMountError(result, mountPoint));
        }

        _instance = instance;
        MountPoint = _dispatcher.Mounted.IsCompletedSuccessfully ? _dispatcher.Mounted.Result : mountPoint;
        _owner = new Thread(OwnInstance) { IsBackground = true, Name = "dokan-instance" };
        _owner.Start();
    }

    /// <summary>The mount point dokan2 reported (with the mount manager a letter can differ from the one asked for).</summary>
    public string MountPoint { get; }

    public Task Stopped => _stopped.Task;

    /// <summary>Handles the library still holds open (for tests and status).</summary>
    public int OpenHandles => _dispatcher.HandleCount;

    /// <summary>Mounts <paramref name="engine"/> at <paramref name="mountPoint"/> (already parsed by <see cref="DokanMountTarget"/>).</summary>
    public static DokanMountHost Mount(MountEngine engine, string mountPoint, DokanMountOptions options, ILogger? logger = null)
    {
        options.ValidateFor(mountPoint);
        DokanLibrary.EnsureAvailable();
        logger ??= Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        if (options.NetworkUncName is { } unc)
        {
            LogNetworkDrive(logger, mountPoint, unc);
        }

        return new DokanMountHost(engine, mountPoint, options, logger);
    }

    /// <summary>
    /// Asks the instance's thread to unmount (DokanCloseHandle, which waits for dokan2 to release the file system)
    /// and waits for it. Windows has no lazy unmount: handles programs still hold fail from then on, so there is no
    /// one left to name.
    /// </summary>
    public IReadOnlyList<MountHolder> Detach()
    {
        if (Interlocked.Exchange(ref _unmounted, 1) != 0)
        {
            return [];
        }

        _unmountRequested = true;
        _released = _owner.Join(ReleaseLimit);
        if (!_released)
        {
            LogReleaseHung(_logger, MountPoint, (int)ReleaseLimit.TotalSeconds);
        }

        return [];
    }

    /// <summary>Releases what dokan2 left open and frees what it pointed at.</summary>
    public IReadOnlyList<string> Close()
    {
        Detach();
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return [];
        }

        _dispatcher.ReleaseAllAsync().GetAwaiter().GetResult();

        // dokan2 may still read the options and call through the table until DokanCloseHandle returns: if it has
        // not, leaking them is the safe choice.
        if (_released)
        {
            FreeNative();
        }

        return [];
    }

    public void Dispose() => Close();

    internal static bool UsesMountManager(DokanMountOptions options, string mountPoint) =>
        DokanMountTarget.IsDriveLetter(mountPoint, out _) && !options.CurrentSessionOnly && options.NetworkUncName is null;

    internal static uint Flags(DokanMountOptions options, string mountPoint)
    {
        var flags = OptionFileLockUserMode;
        flags |= options.ReadOnly ? OptionWriteProtect : 0;
        flags |= options.NetworkUncName is not null ? OptionNetwork : 0;
        flags |= options.Removable ? OptionRemovable : 0;
        flags |= options.CurrentSessionOnly ? OptionCurrentSession : 0;
        flags |= options.CaseSensitive ? OptionCaseSensitive : 0;
        flags |= options.DokanDebugOutput ? OptionDebug | OptionStderr : 0;

        // The mount manager gives drive letters their proper registration (Explorer, `mountvol`); folder mounts do
        // without. It mounts for every session, so not with --current-session; and a network drive is registered by
        // Dokan's network provider instead (dokany's mirror refuses the mount manager with either).
        flags |= UsesMountManager(options, mountPoint) ? OptionMountManager : 0;
        return flags;
    }

    /// <summary>A stable serial number per mount point, so `vol` and programs that remember volumes see the same one.</summary>
    private static uint VolumeSerial(string mountPoint)
    {
        var hash = 2166136261u;
        foreach (var c in mountPoint.ToUpperInvariant())
        {
            hash = (hash ^ c) * 16777619u;
        }

        return hash;
    }

    /// <summary>How long Detach waits for DokanCloseHandle (it waits for callbacks in flight) before giving up on freeing.</summary>
    private static readonly TimeSpan ReleaseLimit = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The one thread that uses the instance after mounting. It waits in short slices, so that a Detach is seen
    /// without a second thread calling into the instance while this one waits on it.
    /// </summary>
    private void OwnInstance()
    {
        while (!_unmountRequested && DokanNative.DokanWaitForFileSystemClosed(_instance, 200) == DokanNative.WaitTimeout)
        {
        }

        // Also after an unmount from outside: DokanCloseHandle frees the instance and its threads.
        DokanNative.DokanCloseHandle(_instance);
        DokanNative.DokanShutdown();
        _stopped.TrySetResult();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{MountPoint} is a network drive ({Unc}): Dokan's network provider registers it, not the mount manager (dokany refuses both together)")]
    private static partial void LogNetworkDrive(ILogger logger, string mountPoint, string unc);

    [LoggerMessage(Level = LogLevel.Error, Message = "Dokan did not release {MountPoint} within {Seconds} s; its memory is left allocated")]
    private static partial void LogReleaseHung(ILogger logger, string mountPoint, int seconds);

    private void FreeNative()
    {
        NativeMemory.Free(_options);
        NativeMemory.Free(_operations);
        Marshal.FreeHGlobal(_mountPointString);
        if (_uncString != 0)
        {
            Marshal.FreeHGlobal(_uncString);
        }

        _self.Free();
    }
}
