using System.Text;

namespace BucketMount.Backends.Local;

/// <summary>
/// Maps object keys to paths under the store's root and back, so that no key can escape the root and every
/// key that S3 allows (empty segments from "//", a leading or trailing "/", ".", "..", characters Windows
/// forbids) has exactly one file name. Each '/'-separated segment is percent-escaped where needed:
/// '%', control characters and <c>&lt; &gt; : " | ? * \</c> always; a leading '.' of "." and ".." and of the
/// reserved top-level name; a trailing '.' or ' '; the first letter of Windows device names (CON, NUL, COM1…).
/// An empty segment is stored as "%" alone, which escaping never produces otherwise.
/// Keys that differ only in case collide on case-insensitive file systems (Windows, macOS); Linux has no such limit.
/// </summary>
internal static class LocalKeyPaths
{
    /// <summary>The folder under the root where the store keeps its own files (temp files, metadata).</summary>
    public const string SystemFolderName = ".bucketmount";

    /// <summary>Under the system folder: one sidecar per object, in folders mirroring the data's.</summary>
    public const string MetaFolderName = "meta";

    /// <summary>Under the system folder: files being written, renamed into place once complete.</summary>
    public const string TempFolderName = "tmp";

    public const int MaxSegmentBytes = 255;

    private static readonly HashSet<string> DeviceNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "CON", "PRN", "AUX", "NUL",
        "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
        "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    };

    /// <summary>The relative path (with '/' separators) for a key; throws InvalidArgument for keys no file can hold.</summary>
    public static string ToRelativePath(string key, string location)
    {
        var segments = key.Split('/');
        var builder = new StringBuilder(key.Length + 8);
        for (var i = 0; i < segments.Length; i++)
        {
            if (i > 0)
            {
                builder.Append('/');
            }

            var escaped = EscapeSegment(segments[i], isTopLevel: i == 0);
            if (Encoding.UTF8.GetByteCount(escaped) > MaxSegmentBytes)
            {
                throw new ObjectStoreException(ObjectStoreErrorKind.KeyTooLong,
                    $"the key segment '{Shorten(segments[i])}' is longer than a file name may be ({MaxSegmentBytes} bytes once escaped); shorten it.",
                    location, key);
            }

            builder.Append(escaped);
        }

        return builder.ToString();
    }

    /// <summary>The key segment a file or folder name stands for.</summary>
    public static string UnescapeSegment(string name)
    {
        if (name == "%")
        {
            return "";
        }

        if (!name.Contains('%'))
        {
            return name;
        }

        var bytes = new List<byte>(name.Length);
        for (var i = 0; i < name.Length; i++)
        {
            if (name[i] == '%' && i + 2 < name.Length && IsHex(name[i + 1]) && IsHex(name[i + 2]))
            {
                bytes.Add(Convert.ToByte(name.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                // Copy the run of characters up to the next escape as UTF-8 (keeps surrogate pairs whole).
                var end = name.IndexOf('%', i + 1);
                end = end < 0 ? name.Length : end;
                bytes.AddRange(Encoding.UTF8.GetBytes(name[i..end]));
                i = end - 1;
            }
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    public static string EscapeSegment(string segment, bool isTopLevel)
    {
        if (segment.Length == 0)
        {
            return "%";
        }

        var builder = new StringBuilder(segment.Length + 4);
        for (var i = 0; i < segment.Length; i++)
        {
            var c = segment[i];
            var mustEscape = c < 0x20 || c == 0x7f || c is '%' or '<' or '>' or ':' or '"' or '|' or '?' or '*' or '\\'
                || (i == segment.Length - 1 && c is '.' or ' ')
                || (i == 0 && c == '.' && (segment is "." or ".." || (isTopLevel && segment == SystemFolderName)))
                || (i == 0 && IsDeviceName(segment));
            if (mustEscape)
            {
                builder.Append('%').Append(((int)c).ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private static bool IsDeviceName(string segment)
    {
        var dot = segment.IndexOf('.', StringComparison.Ordinal);
        var stem = dot < 0 ? segment : segment[..dot];
        return DeviceNames.Contains(stem.TrimEnd(' '));
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
