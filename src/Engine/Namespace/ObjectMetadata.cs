using System.Globalization;

namespace BucketMount.Engine.Namespace;

/// <summary>
/// File attributes kept in object user metadata, under the names other tools use so each reads the other's:
/// <c>mtime</c> as rclone writes it (decimal Unix seconds with nanoseconds; RFC 3339 and whole seconds are read
/// too, as rclone's Azure backend and s3fs write them), and s3fs's <c>mode</c>, <c>uid</c>, <c>gid</c> (decimal).
/// </summary>
internal static class ObjectMetadata
{
    public const string MtimeKey = "mtime";
    public const string ModeKey = "mode";
    public const string UidKey = "uid";
    public const string GidKey = "gid";

    /// <summary>Windows attribute bits, decimal (our own key; letters only, as Azure metadata names must be identifiers).</summary>
    public const string WindowsAttributesKey = "winattrs";

    /// <summary>The device number of a character or block device node, decimal (s3fs's name).</summary>
    public const string RdevKey = "rdev";

    /// <summary>Creation ("birth") time, in the mtime format; rclone's name for it.</summary>
    public const string BirthTimeKey = "btime";

    /// <summary>Status change time (chmod, chown, rename, writes), in the mtime format; without it ctime shows mtime.</summary>
    public const string ChangeTimeKey = "ctime";

    /// <summary>Access time, in the mtime format, kept as the relatime policy says (see docs/SEMANTICS.md).</summary>
    public const string AccessTimeKey = "atime";

    public static string FormatMtime(DateTimeOffset time) => FormatMtime(time, 0);

    /// <summary>
    /// The mtime format with the nanoseconds below <see cref="DateTimeOffset"/>'s 100 ns tick
    /// (<paramref name="subTickNanoseconds"/>, 0 to 99) that a program set with utimensat.
    /// </summary>
    public static string FormatMtime(DateTimeOffset time, int subTickNanoseconds)
    {
        var ticks = time.UtcTicks - DateTime.UnixEpoch.Ticks;
        var seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var remainder);
        if (remainder < 0)
        {
            seconds--;
            remainder += TimeSpan.TicksPerSecond;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{seconds}.{remainder * 100 + subTickNanoseconds:D9}");
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

    /// <summary>The nanoseconds below the 100 ns tick that <see cref="ParseMtime"/> drops: digits 8 and 9 of the fraction.</summary>
    public static int ParseSubTickNanoseconds(string? value)
    {
        var dot = value?.IndexOf('.', StringComparison.Ordinal) ?? -1;
        if (dot < 0 || value![0] == '-')
        {
            return 0;
        }

        var digits = value.AsSpan(dot + 1);
        var count = 0;
        while (count < digits.Length && char.IsAsciiDigit(digits[count]))
        {
            count++;
        }

        return count < 8 ? 0 : (digits[7] - '0') * 10 + (count > 8 ? digits[8] - '0' : 0);
    }

    public static int? ParseInt(string? value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number : null;

    public static long? ParseLong(string? value) =>
        long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number : null;

    /// <summary>
    /// Keys this program writes (and the upload id, which every upload sets anew); any other user-metadata key is
    /// another tool's and is carried along unchanged when the mount rewrites an object's metadata (chmod, rename).
    /// </summary>
    private static readonly HashSet<string> OwnKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        MtimeKey, ModeKey, UidKey, GidKey, WindowsAttributesKey, BirthTimeKey, RdevKey, ChangeTimeKey, AccessTimeKey, "bmupload",
    };

    /// <summary>The metadata to store with a file's bytes.</summary>
    public static Dictionary<string, string> Build(KnownAttributes attributes)
    {
        var metadata = Build(attributes.ModifiedTime, attributes.Mode, attributes.Uid, attributes.Gid);
        foreach (var (key, value) in attributes.OtherMetadata ?? new Dictionary<string, string>())
        {
            metadata.TryAdd(key, value);
        }

        if (attributes.WindowsAttributes is { } windows)
        {
            metadata[WindowsAttributesKey] = windows.ToString(CultureInfo.InvariantCulture);
        }

        if (attributes.CreationTime is { } created)
        {
            metadata[BirthTimeKey] = FormatMtime(created);
        }

        if (attributes.Rdev is { } rdev)
        {
            metadata[RdevKey] = rdev.ToString(CultureInfo.InvariantCulture);
        }

        metadata[MtimeKey] = FormatMtime(attributes.ModifiedTime, attributes.ModifiedTimeSubTickNs);
        if (attributes.ChangeTime is { } changed)
        {
            metadata[ChangeTimeKey] = FormatMtime(changed);
        }

        if (attributes.AccessTime is { } accessed)
        {
            metadata[AccessTimeKey] = FormatMtime(accessed, attributes.AccessTimeSubTickNs);
        }

        return metadata;
    }

    /// <summary>Reads back what <see cref="Build(KnownAttributes)"/> wrote; the store's time when no mtime was kept.</summary>
    public static KnownAttributes Parse(IReadOnlyDictionary<string, string>? metadata, DateTimeOffset storeTime) => new(
        ParseMtime(metadata?.GetValueOrDefault(MtimeKey)) ?? storeTime,
        ParseInt(metadata?.GetValueOrDefault(ModeKey)),
        ParseInt(metadata?.GetValueOrDefault(UidKey)),
        ParseInt(metadata?.GetValueOrDefault(GidKey)),
        ParseInt(metadata?.GetValueOrDefault(WindowsAttributesKey)),
        ParseMtime(metadata?.GetValueOrDefault(BirthTimeKey)),
        ParseLong(metadata?.GetValueOrDefault(RdevKey)),
        ParseMtime(metadata?.GetValueOrDefault(ChangeTimeKey)),
        ParseMtime(metadata?.GetValueOrDefault(AccessTimeKey)),
        ParseSubTickNanoseconds(metadata?.GetValueOrDefault(MtimeKey)),
        ParseSubTickNanoseconds(metadata?.GetValueOrDefault(AccessTimeKey)),
        OtherKeys(metadata));

    /// <summary>Another tool's user-metadata keys (see <see cref="OwnKeys"/>); null when there are none.</summary>
    private static Dictionary<string, string>? OtherKeys(IReadOnlyDictionary<string, string>? metadata)
    {
        Dictionary<string, string>? others = null;
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
        {
            if (!OwnKeys.Contains(key))
            {
                (others ??= new Dictionary<string, string>(StringComparer.Ordinal))[key] = value;
            }
        }

        return others;
    }

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
