using System.Globalization;

namespace BucketMount.Tray.Model;

/// <summary>The icon's looks: the four states, and a neutral one until the first poll answers.</summary>
internal enum TrayIconKind
{
    /// <summary>Started, asking the service for the first time.</summary>
    Connecting,

    /// <summary>Everything written is in the store.</summary>
    Idle,

    /// <summary>Files are waiting to upload (the icon shows how many).</summary>
    Uploading,

    /// <summary>Uploads are paused on request.</summary>
    Paused,

    /// <summary>The service does not answer, a mount failed or is retrying, or uploads are failing.</summary>
    Error,
}

/// <summary>What the icon shows: its look, the number on it (pending files, Uploading and Paused only) and its tooltip.</summary>
internal sealed record TrayView(TrayIconKind Icon, int Count, string Tooltip)
{
    /// <summary>Shell_NotifyIconW's szTip holds 128 UTF-16 units with the terminator.</summary>
    public const int TooltipLimit = 127;

    public static TrayView Of(TraySnapshot snapshot)
    {
        var pending = snapshot.PendingFiles;
        var icon = snapshot.IsConnecting ? TrayIconKind.Connecting
            : snapshot.HasProblem ? TrayIconKind.Error
            : snapshot.UploadsPaused ? TrayIconKind.Paused
            : pending > 0 ? TrayIconKind.Uploading
            : TrayIconKind.Idle;
        var count = icon is TrayIconKind.Uploading or TrayIconKind.Paused ? pending : 0;
        return new TrayView(icon, count, TooltipFor(snapshot));
    }

    /// <summary>First line: the state in a few words; then one line per mount, as long as they fit.</summary>
    private static string TooltipFor(TraySnapshot snapshot)
    {
        var waiting = $"{snapshot.PendingFiles} file(s), {Size(snapshot.PendingBytes)}";
        var headline = snapshot.IsConnecting ? "bucketmount: connecting to the service…"
            : !snapshot.ServiceReachable ? "bucketmount: the service is not running (retrying)"
            : snapshot.Mounts.Count == 0 ? "bucketmount: no mounts"
            : snapshot.UploadsPaused ? $"bucketmount: uploads paused, {waiting} waiting"
            : snapshot.PendingFiles > 0 ? $"bucketmount: uploading {waiting}"
            : "bucketmount: everything is in the store";
        var lines = new List<string> { headline };
        lines.AddRange(snapshot.Mounts.Select(m => m.Label + ": " + (m.Problem ?? m.State.ToLowerInvariant())));
        return Fit(lines, TooltipLimit);
    }

    /// <summary>Whole lines while they fit; a line cut short ends with an ellipsis.</summary>
    internal static string Fit(IReadOnlyList<string> lines, int limit)
    {
        var text = "";
        foreach (var line in lines)
        {
            var next = text.Length == 0 ? line : text + "\n" + line;
            if (next.Length <= limit)
            {
                text = next;
                continue;
            }

            return text.Length == 0 || limit - text.Length > 12 ? next[..(limit - 1)] + "…" : text;
        }

        return text;
    }

    /// <summary>Bytes as people read them (decimal units, like Explorer's "12.4 MB").</summary>
    internal static string Size(long bytes) => bytes switch
    {
        < 1_000 => bytes.ToString(CultureInfo.InvariantCulture) + " B",
        < 1_000_000 => (bytes / 1e3).ToString("0.#", CultureInfo.InvariantCulture) + " kB",
        < 1_000_000_000 => (bytes / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + " MB",
        _ => (bytes / 1e9).ToString("0.##", CultureInfo.InvariantCulture) + " GB",
    };
}
