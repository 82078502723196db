using System.Globalization;

namespace BucketMount.Engine.Namespace;

/// <summary>
/// File attributes kept in object user metadata, under the names other tools use so each reads the other's:
/// <c>mtime</c> as rclone writes it (decimal Unix seconds with nanoseconds; RFC 3339 and whole seconds are read
/// too, as rclone's Azure backend and s3fs write them), and s3fs's <c>mode</c>, <c>uid</c>, <c>gid</c> (decimal).
/// </summary>
public static class ObjectMetadata
{
    public const string MtimeKey = "mtime";
    public const string ModeKey = "mode";
    public const string UidKey = "uid";
    public const string GidKey = "gid";

    public static string FormatMtime(DateTimeOffset time)
    {
        var ticks = time.UtcTicks - DateTime.UnixEpoch.Ticks;
        var seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var remainder);
        if (remainder < 0)
        {
            seconds--;
            remainder += TimeSpan.TicksPerSecond;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{seconds}.{remainder * 100:D9}");
    }

    public static DateTimeOffset? ParseMtime(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (value.Contains('T', StringComparison.Ordinal) &&
            DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var rfc3339))
        {
            return rfc3339.ToUniversalTime();
        }

        if (decimal.TryParse(value, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds)
            && seconds is > -62135596800m and < 253402300799m)
        {
            return DateTimeOffset.UnixEpoch.AddTicks((long)(seconds * TimeSpan.TicksPerSecond));
        }

        return null;
    }

    public static int? ParseInt(string? value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number : null;

    /// <summary>The metadata to store with a file's bytes.</summary>
    public static Dictionary<string, string> Build(DateTimeOffset mtime, int? mode, int? uid, int? gid)
    {
        var metadata = new Dictionary<string, string>(4, StringComparer.Ordinal) { [MtimeKey] = FormatMtime(mtime) };
        if (mode is { } m)
        {
            metadata[ModeKey] = m.ToString(CultureInfo.InvariantCulture);
        }

        if (uid is { } u)
        {
            metadata[UidKey] = u.ToString(CultureInfo.InvariantCulture);
        }

        if (gid is { } g)
        {
            metadata[GidKey] = g.ToString(CultureInfo.InvariantCulture);
        }

        return metadata;
    }
}
