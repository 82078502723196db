using BucketMount.Backends;
using BucketMount.Cli.Configuration;
using BucketMount.Cli.Control;
using Microsoft.Extensions.Logging;

namespace BucketMount.Cli.Service;

/// <summary>What the service knows of one configured mount.</summary>
internal enum MountState
{
    Starting,
    Mounted,

    /// <summary>Failed in a way that may pass (store or network not up yet at boot, driver restarting): retried with backoff.</summary>
    Retrying,

    /// <summary>Failed in a way retrying cannot fix (bad configuration, Dokan missing, access denied): left until asked again.</summary>
    Failed,

    /// <summary>Unmounted on request (control channel, tray): stays so until mounted on request.</summary>
    Unmounted,
}

/// <summary>
/// The service's state machine: mounts every configured mount at start, retries a mount that failed transiently
/// (or that went away by itself) with exponential backoff, and on stop drains every mount's uploads in parallel,
/// reporting progress (the service asks Windows for more time with it). It is also the service pipe's target.
/// </summary>
internal sealed partial class MountSupervisor(IMountRunner runner, Func<IReadOnlyList<ConfiguredMount>> configuration, ILogger logger, Func<TimeSpan, CancellationToken, Task>? delay = null) : IControlTarget
{
    public static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan MaxRetry = TimeSpan.FromMinutes(5);

    private readonly Func<TimeSpan, CancellationToken, Task> _delay = delay ?? Task.Delay;
    private readonly Dictionary<string, Slot> _slots = new(StringComparer.OrdinalIgnoreCase);
    private readonly CancellationTokenSource _stopping = new();
    private readonly object _lock = new();

    /// <summary>Raised on every state change (for the tray's balloons and tests).</summary>
    public event Action<string, MountState>? StateChanged;

    /// <summary>Starts keeping every configured mount mounted; returns at once.</summary>
    public void Start()
    {
        foreach (var mount in configuration())
        {
            lock (_lock)
            {
                if (_slots.ContainsKey(mount.Name))
                {
                    continue;
                }

                var slot = new Slot(mount);
                _slots[mount.Name] = slot;
                slot.Loop = KeepMountedAsync(slot);
            }
        }
    }

    public MountState StateOf(string name)
    {
        lock (_lock)
        {
            return _slots[name].State;
        }
    }

    public string? LastErrorOf(string name)
    {
        lock (_lock)
        {
            return _slots[name].LastError;
        }
    }

    /// <summary>
    /// Stops: no more retries; every mounted mount uploads what is pending and unmounts, all at once. Progress
    /// lines ("2 file(s), 3.1 MB left") go to <paramref name="progress"/>. Returns what each mount's stop said.
    /// </summary>
    public async Task<IReadOnlyList<(string Name, int ExitCode, string Message)>> StopAsync(Action<string> progress, CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        Slot[] slots;
        lock (_lock)
        {
            slots = [.. _slots.Values];
        }

        var results = await Task.WhenAll(slots.Select(async slot =>
        {
            await slot.Loop.ConfigureAwait(false);
            var running = slot.Running;
            if (running is null)
            {
                return (slot.Mount.Name, 0, $"{slot.Mount.Name} was not mounted.");
            }

            var (code, message) = await running.StopAsync(force: false, progress, cancellationToken).ConfigureAwait(false);
            Set(slot, MountState.Unmounted, null, running: null);
            return (slot.Mount.Name, code, message);
        })).ConfigureAwait(false);
        return results;
    }

    /// <summary>Failures worth retrying: the store or network away, the driver not ready. Not: what the user must fix.</summary>
    internal static bool IsTransient(Exception error) => error switch
    {
        ObjectStoreException store => store.Kind is ObjectStoreErrorKind.Transient or ObjectStoreErrorKind.Throttled,
        ArgumentException or DllNotFoundException or PlatformNotSupportedException or UnauthorizedAccessException => false,
        _ => true,
    };

    internal static TimeSpan Backoff(int failures) =>
        TimeSpan.FromTicks(Math.Min(MaxRetry.Ticks, FirstRetry.Ticks << Math.Min(failures - 1, 20)));

    private async Task KeepMountedAsync(Slot slot)
    {
        await Task.Yield();
        var failures = 0;
        while (!_stopping.IsCancellationRequested && !slot.StopRequested)
        {
            Set(slot, MountState.Starting, slot.LastError, running: null);
            IRunningMount running;
            try
            {
                running = await runner.StartAsync(slot.Mount, _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                failures++;
                if (!IsTransient(e))
                {
                    LogFailed(logger, slot.Mount.Name, e.Message);
                    Set(slot, MountState.Failed, e.Message, running: null);
                    return;
                }

                var wait = Backoff(failures);
                LogRetrying(logger, slot.Mount.Name, e.Message, wait.TotalSeconds);
                Set(slot, MountState.Retrying, e.Message, running: null);
                if (!await WaitAsync(wait, slot).ConfigureAwait(false))
                {
                    return;
                }

                continue;
            }

            failures = 0;
            Set(slot, MountState.Mounted, null, running);
            LogMounted(logger, slot.Mount.Name, running.MountPoint);

            // Mounted until the service stops (StopAsync drains it), the user unmounts it, or it goes away by itself.
            var stop = Task.Delay(Timeout.Infinite, slot.Stop.Token);
            await Task.WhenAny(running.Stopped, stop, Task.Delay(Timeout.Infinite, _stopping.Token)).ConfigureAwait(false);
            if (!running.Stopped.IsCompleted || _stopping.IsCancellationRequested || slot.StopRequested)
            {
                return;
            }

            // Gone by itself: unmount what is left (uploads go on from the cache), then mount it again.
            failures++;
            await running.StopAsync(force: false, _ => { }, CancellationToken.None).ConfigureAwait(false);
            var again = Backoff(failures);
            LogWentAway(logger, slot.Mount.Name, again.TotalSeconds);
            Set(slot, MountState.Retrying, "the file system went away (unmounted from outside)", running: null);
            if (!await WaitAsync(again, slot).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    /// <summary>Waits for the next attempt; false when the service is stopping or the mount was unmounted on request meanwhile.</summary>
    private async Task<bool> WaitAsync(TimeSpan wait, Slot slot)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, slot.Stop.Token);
        try
        {
            await _delay(wait, either.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void Set(Slot slot, MountState state, string? error, IRunningMount? running)
    {
        lock (_lock)
        {
            slot.State = state;
            slot.LastError = error;
            slot.Running = running;
        }

        StateChanged?.Invoke(slot.Mount.Name, state);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Mounted '{Name}' at {MountPoint}")]
    private static partial void LogMounted(ILogger logger, string name, string mountPoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mounting '{Name}' failed ({Reason}); trying again in {Seconds} s")]
    private static partial void LogRetrying(ILogger logger, string name, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Mounting '{Name}' failed and will not be retried until asked (bucketmount-tray, or a service restart): {Reason}")]
    private static partial void LogFailed(ILogger logger, string name, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "'{Name}' was unmounted from outside; mounting it again in {Seconds} s")]
    private static partial void LogWentAway(ILogger logger, string name, double seconds);

    /// <summary>One configured mount and what the service holds of it.</summary>
    private sealed class Slot(ConfiguredMount mount)
    {
        public ConfiguredMount Mount { get; } = mount;

        public MountState State { get; set; } = MountState.Starting;

        public string? LastError { get; set; }

        public IRunningMount? Running { get; set; }

        public Task Loop { get; set; } = Task.CompletedTask;

        /// <summary>Cancelled by an unmount request: the loop lets go and does not remount.</summary>
        public CancellationTokenSource Stop { get; set; } = new();

        public bool StopRequested => Stop.IsCancellationRequested;
    }
}
