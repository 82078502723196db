namespace BucketMount.Tray.Model;

/// <summary>A notification balloon: an error (red) or information.</summary>
internal sealed record Balloon(string Title, string Text, bool IsError)
{
    /// <summary>Shell_NotifyIconW's limits: szInfoTitle 64, szInfo 256 UTF-16 units with the terminator.</summary>
    public const int TitleLimit = 63;

    public const int TextLimit = 255;

    public string FittedTitle => TrayView.Fit([Title], TitleLimit);

    public string FittedText => TrayView.Fit(Text.Split('\n'), TextLimit);
}

/// <summary>
/// When to raise a balloon, from the poll before and the poll now: only on a change, so a state that lasts is told
/// once — the service stopped answering, a mount failed, uploads started failing, or every pending upload finished.
/// </summary>
internal static class BalloonRules
{
    public static Balloon? Next(TraySnapshot? before, TraySnapshot now)
    {
        if (now.IsConnecting)
        {
            return null;
        }

        if (!now.ServiceReachable)
        {
            // Not at the first poll: at logon the service may simply not have started yet (the icon says so).
            return before is { ServiceReachable: true, IsConnecting: false }
                ? new Balloon("bucketmount service stopped", "The drives it keeps are gone until it runs again; the tray keeps trying to reach it.", IsError: true)
                : null;
        }

        var failures = now.Mounts.Where(m => m.HasProblem && m.Problem is not null && !HadProblem(before, m)).ToList();
        if (failures.Count > 0)
        {
            var text = string.Join("\n", failures.Select(m => m.Label + ": " + m.Problem));
            return new Balloon(failures.Count == 1 ? $"bucketmount: {failures[0].Label}" : $"bucketmount: {failures.Count} mounts need attention", text, IsError: true);
        }

        var finished = before is { IsConnecting: false, ServiceReachable: true, PendingFiles: > 0 } && now.PendingFiles == 0 && !now.HasProblem;
        return finished
            ? new Balloon("bucketmount: uploads finished", $"Every change is in the store ({before!.PendingFiles} file(s) were waiting).", IsError: false)
            : null;
    }

    /// <summary>Whether the same mount (by mount point) already had a problem at the poll before (then it was told).</summary>
    private static bool HadProblem(TraySnapshot? before, TrayMount mount) =>
        before is not null && before.Mounts.Any(m => m.HasProblem && m.ByService == mount.ByService
            && string.Equals(m.Status.Name ?? m.Status.MountPoint, mount.Status.Name ?? mount.Status.MountPoint, StringComparison.OrdinalIgnoreCase));
}
