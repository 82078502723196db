namespace BucketMount.Tray.Model;

/// <summary>What a menu item does.</summary>
internal abstract record TrayCommand
{
    /// <summary>Opens the drive or folder in Explorer.</summary>
    public sealed record OpenDrive(string MountPoint) : TrayCommand;

    /// <summary>Asks the service to mount a configured mount that is unmounted or failed.</summary>
    public sealed record Mount(string Name) : TrayCommand;

    /// <summary>Uploads what is pending, then unmounts (the service's mount, or a `bucketmount mount` of this user).</summary>
    public sealed record Unmount(string MountPoint, bool ByService) : TrayCommand;

    /// <summary>Pauses or resumes the uploads of every mount.</summary>
    public sealed record PauseUploads(bool Pause) : TrayCommand;

    public sealed record OpenLogFolder(string Folder) : TrayCommand;

    public sealed record Quit : TrayCommand;
}

/// <summary>One line of the menu: a command, a disabled line of information (Command null), or a separator.</summary>
internal sealed record TrayMenuItem(string Text, TrayCommand? Command)
{
    public static TrayMenuItem Separator { get; } = new("-", null);

    public bool IsSeparator => ReferenceEquals(this, Separator);

    public bool Enabled => Command is not null;
}

/// <summary>The menu for a snapshot: open each drive, mount or unmount each mount, pause or resume uploads, the log folder, quit.</summary>
internal static class TrayMenu
{
    public const string PauseText = "Pause uploads";
    public const string ResumeText = "Resume uploads";

    public static IReadOnlyList<TrayMenuItem> For(TraySnapshot snapshot, string logFolder)
    {
        var items = new List<TrayMenuItem>();
        if (!snapshot.ServiceReachable)
        {
            items.Add(new("The bucketmount service is not running", null));
        }

        items.AddRange(snapshot.Mounts.Where(m => m.IsMounted).Select(m => new TrayMenuItem("Open " + m.Label, new TrayCommand.OpenDrive(m.Status.MountPoint))));
        var switches = snapshot.Mounts.Select(Switch).OfType<TrayMenuItem>().ToList();
        if (switches.Count > 0)
        {
            AddGroup(items, switches);
        }

        var anyMounted = snapshot.Mounts.Any(m => m.IsMounted);
        AddGroup(items,
        [
            snapshot.UploadsPaused
                ? new(ResumeText, new TrayCommand.PauseUploads(false))
                : new(PauseText, anyMounted ? new TrayCommand.PauseUploads(true) : null),
            new("Open log folder", new TrayCommand.OpenLogFolder(logFolder)),
        ]);
        AddGroup(items, [new("Quit", new TrayCommand.Quit())]);
        return items;
    }

    /// <summary>Unmount while mounted or trying to be; mount (the service's mounts only) when unmounted or failed.</summary>
    private static TrayMenuItem? Switch(TrayMount mount) => mount.State switch
    {
        "Unmounted" or "Failed" when mount.ByService && mount.Status.Name is { } name => new("Mount " + mount.Label, new TrayCommand.Mount(name)),
        "Unmounted" or "Failed" => null,
        _ => new("Unmount " + mount.Label, new TrayCommand.Unmount(mount.Status.MountPoint, mount.ByService)),
    };

    private static void AddGroup(List<TrayMenuItem> items, IReadOnlyList<TrayMenuItem> group)
    {
        if (items.Count > 0)
        {
            items.Add(TrayMenuItem.Separator);
        }

        items.AddRange(group);
    }
}
