using BucketMount.Cli.Control;

namespace BucketMount.Tray.Model;

/// <summary>
/// One mount as the tray sees it: the status its process answered, and whether the service keeps it (mount/unmount
/// go to the service pipe) or a `bucketmount mount` of this user serves it (its own pipe).
/// </summary>
internal sealed record TrayMount(MountStatus Status, bool ByService)
{
    /// <summary>The service's state; a `bucketmount mount` process is mounted while it answers.</summary>
    public string State => Status.State ?? "Mounted";

    public string Label => Status.Name is { Length: > 0 } name ? $"{Status.MountPoint} ({name})" : Status.MountPoint;

    public bool IsMounted => State == "Mounted";

    /// <summary>Not mounted, or mounted with uploads failing: the icon turns red.</summary>
    public bool HasProblem => State is "Failed" or "Retrying" || Status.Statistics.FailingUploads > 0;

    /// <summary>Files whose changes are not in the store yet: dirty (written, maybe still open) or queued for upload.</summary>
    public int PendingFiles => Math.Max(Status.Statistics.DirtyFiles, Status.Statistics.PendingUploads);

    public long PendingBytes => Status.Statistics.DirtyBytes;

    /// <summary>What went wrong, in the service's or the engine's words.</summary>
    public string? Problem => Status.Error is { Length: > 0 } error ? error
        : Status.Statistics.FailingUploads > 0 ? $"{Status.Statistics.FailingUploads} upload(s) failing" + (Status.Statistics.LastErrors.LastOrDefault() is { } last ? ": " + last : "")
        : State is "Failed" or "Retrying" ? State.ToLowerInvariant()
        : null;
}

/// <summary>What one poll found: whether the service answered, and every mount that did (the service's and this user's).</summary>
internal sealed record TraySnapshot(bool ServiceReachable, IReadOnlyList<TrayMount> Mounts)
{
    /// <summary>Before the first poll has answered.</summary>
    public static TraySnapshot Connecting { get; } = new(true, []) { IsConnecting = true };

    public bool IsConnecting { get; private init; }

    public int PendingFiles => Mounts.Sum(m => m.PendingFiles);

    public long PendingBytes => Mounts.Sum(m => m.PendingBytes);

    /// <summary>Some mount holds its uploads back: the icon says so, and the menu offers to resume them (all).</summary>
    public bool UploadsPaused => Mounts.Any(m => m.IsMounted && m.Status.UploadsPaused);

    public bool HasProblem => !ServiceReachable || Mounts.Any(m => m.HasProblem);
}
