using BucketMount.Backends;
using BucketMount.Cli.Control;
using BucketMount.Engine.Diagnostics;

namespace BucketMount.Cli.Service;

/// <summary>The service pipe's requests, on the supervised mounts: by name or mount point, or all when none is named.</summary>
internal sealed partial class MountSupervisor
{
    public IReadOnlyList<MountStatus> List()
    {
        lock (_lock)
        {
            return [.. _slots.Values.Select(slot => slot.Running is { } running
                ? running.Status() with { Name = slot.Mount.Name, State = slot.State.ToString() }
                : new MountStatus(slot.Mount.Remote, slot.Mount.MountPoint, Environment.ProcessId, 0, "", 0, 0,
                    new EngineStatistics { Store = new StoreCounters().Snapshot() }, false, slot.Mount.Name, slot.State.ToString(), slot.LastError))];
        }
    }

    /// <summary>Mounts a configured mount that is unmounted or failed (the configuration is read again: it may be new).</summary>
    public Task<ControlReply> MountAsync(string mount, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_stopping.IsCancellationRequested)
            {
                return Task.FromResult(new ControlReply(false, "the service is stopping."));
            }

            var slot = Find(mount);
            if (slot is null)
            {
                var configured = configuration().FirstOrDefault(m => string.Equals(m.Name, mount, StringComparison.OrdinalIgnoreCase) || ControlProtocol.SameMount(m.MountPoint, mount));
                if (configured is null)
                {
                    return Task.FromResult(new ControlReply(false, $"no configured mount '{mount}' (see `bucketmount mounts list`)."));
                }

                slot = new Slot(configured);
                _slots[configured.Name] = slot;
            }
            else if (slot.State is not (MountState.Unmounted or MountState.Failed))
            {
                return Task.FromResult(new ControlReply(true, $"'{slot.Mount.Name}' is {slot.State.ToString().ToLowerInvariant()} already."));
            }

            slot.Stop = new CancellationTokenSource();
            slot.Loop = KeepMountedAsync(slot);
            return Task.FromResult(new ControlReply(true, $"Mounting '{slot.Mount.Name}' at {slot.Mount.MountPoint}."));
        }
    }

    public async Task<ControlReply> UnmountAsync(string? mount, bool force, Action<string> progress, CancellationToken cancellationToken)
    {
        Slot? slot;
        lock (_lock)
        {
            slot = mount is null ? null : Find(mount);
        }

        if (slot is null)
        {
            return new ControlReply(false, mount is null ? "unmount needs a mount's name or mount point." : $"the service has no mount '{mount}'.");
        }

        await slot.Stop.CancelAsync();
        await slot.Loop;
        var running = slot.Running;
        if (running is null)
        {
            Set(slot, MountState.Unmounted, null, running: null);
            return new ControlReply(true, $"'{slot.Mount.Name}' was not mounted; it stays unmounted.");
        }

        var (code, message) = await running.StopAsync(force, progress, cancellationToken);
        Set(slot, MountState.Unmounted, code == 0 ? null : message, running: null);
        return new ControlReply(code == 0, message);
    }

    public ControlReply SetUploadsPaused(string? mount, bool paused)
    {
        var targets = Running(mount);
        foreach (var running in targets)
        {
            running.SetUploadsPaused(paused);
        }

        return targets.Count == 0 && mount is not null
            ? new ControlReply(false, $"'{mount}' is not mounted.")
            : new ControlReply(true, $"Uploads {(paused ? "paused" : "resumed")} for {targets.Count} mount(s).");
    }

    public async Task<ControlReply> FlushAsync(string? mount, Action<string> progress, CancellationToken cancellationToken)
    {
        var targets = Running(mount);
        try
        {
            await Task.WhenAll(targets.Select(t => t.FlushAsync(progress, cancellationToken)));
            return new ControlReply(true, $"Every change in {targets.Count} mount(s) is in the store.");
        }
        catch (BucketMount.Engine.FileSystemException e)
        {
            return new ControlReply(false, "Not everything could be uploaded: " + e.Message);
        }
    }

    private List<IRunningMount> Running(string? mount)
    {
        lock (_lock)
        {
            var slots = mount is null ? _slots.Values.ToList() : Find(mount) is { } one ? [one] : [];
            return [.. slots.Select(s => s.Running).OfType<IRunningMount>()];
        }
    }

    /// <summary>By name, configured mount point, or the mount point it got (with * the letter is chosen at mount).</summary>
    private Slot? Find(string mount) =>
        _slots.Values.FirstOrDefault(s => string.Equals(s.Mount.Name, mount, StringComparison.OrdinalIgnoreCase)
            || ControlProtocol.SameMount(s.Mount.MountPoint, mount)
            || s.Running is { } running && ControlProtocol.SameMount(running.MountPoint, mount));
}
