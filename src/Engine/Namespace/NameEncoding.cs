using System.Text;

namespace BucketMount.Engine.Namespace;

/// <summary>Which names the host platform can show.</summary>
public enum NamePlatform
{
    /// <summary>Any byte but '/' and NUL; at most 255 bytes. Bytes that are not UTF-8 map to keys by <see cref="LinuxNames"/>.</summary>
    Linux,

    /// <summary>Also no <c>&lt; &gt; : " | ? * \</c>, control characters, trailing dot or space, or device names.</summary>
    Windows,
}

/// <summary>
/// Maps key segments to names the platform can show and back, reversibly: each forbidden character becomes a
/// look-alike (full-width forms, as rclone's encoder does: '?' → '？', a trailing '.' → '．', a trailing ' ' → '␠',
/// control characters → U+2400 symbols), and a key that already holds a look-alike keeps it by a '‛' quote before it.
/// So "a?b" shows as "a？b", and a key really named "a？b" shows as "a‛？b"; both map back exactly.
/// </summary>
internal sealed class NameEncoding(NamePlatform platform)
{
    private const char Quote = '\u201B';
    private const string Forbidden = "<>:\"|?*\\";
    private const string LookAlikes = "\uFF1C\uFF1E\uFF1A\uFF02\uFF5C\uFF1F\uFF0A\uFF3C";
    private const char DotLookAlike = '\uFF0E';
    private const char SpaceLookAlike = '\u2420';

    private static readonly HashSet<string> DeviceNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
        "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    };

    public NamePlatform Platform { get; } = platform;

    /// <summary>The name shown for a key segment, or null when no name stands for it.</summary>
    public string? ToName(string segment)
    {
        if (Platform == NamePlatform.Linux)
        {
            return LinuxNames.ToName(segment);
        }

        var builder = new StringBuilder(segment.Length + 2);
        for (var i = 0; i < segment.Length; i++)
        {
            var c = segment[i];
            var forbidden = Forbidden.IndexOf(c, StringComparison.Ordinal);
            if (c == Quote || LookAlikes.Contains(c, StringComparison.Ordinal) || c == DotLookAlike || c == SpaceLookAlike || (c >= '\u2400' && c < '\u2420'))
            {
                builder.Append(Quote).Append(c);
            }
            else if (forbidden >= 0)
            {
                builder.Append(LookAlikes[forbidden]);
            }
            else if (c < 0x20)
            {
                builder.Append((char)('\u2400' + c));
            }
            else if (i == segment.Length - 1 && c == '.')
            {
                builder.Append(DotLookAlike);
            }
            else if (i == segment.Length - 1 && c == ' ')
            {
                builder.Append(SpaceLookAlike);
            }
            else
            {
                builder.Append(c);
            }
        }

        if (IsDeviceName(segment))
        {
            // "CON" cannot be opened on Windows: its first letter becomes a quoted full-width letter ("‛ＣON").
            return Quote + ToFullWidth(segment[0]).ToString() + builder.ToString(1, builder.Length - 1);
        }

        return builder.ToString();
    }

    /// <summary>The key segment a shown name stands for.</summary>
    public string ToSegment(string name)
    {
        if (Platform == NamePlatform.Linux)
        {
            return LinuxNames.ToSegment(name);
        }

        var builder = new StringBuilder(name.Length);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (c == Quote && i + 1 < name.Length)
            {
                var next = name[++i];
                builder.Append(i == 1 && IsFullWidthLetter(next) ? FromFullWidth(next) : next);
                continue;
            }

            var lookAlike = LookAlikes.IndexOf(c, StringComparison.Ordinal);
            if (lookAlike >= 0)
            {
                builder.Append(Forbidden[lookAlike]);
            }
            else if (c >= '\u2400' && c < '\u2420')
            {
                builder.Append((char)(c - '\u2400'));
            }
            else if (c == DotLookAlike && i == name.Length - 1)
            {
                builder.Append('.');
            }
            else if (c == SpaceLookAlike && i == name.Length - 1)
            {
                builder.Append(' ');
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
        return DeviceNames.Contains(dot < 0 ? segment : segment[..dot]);
    }

    private static char ToFullWidth(char c) => c switch
    {
        >= 'A' and <= 'Z' => (char)(c - 'A' + '\uFF21'),
        >= 'a' and <= 'z' => (char)(c - 'a' + '\uFF41'),
        _ => c,
    };

    private static bool IsFullWidthLetter(char c) => c is (>= '\uFF21' and <= '\uFF3A') or (>= '\uFF41' and <= '\uFF5A');

    private static char FromFullWidth(char c) => c <= '\uFF3A' ? (char)(c - '\uFF21' + 'A') : (char)(c - '\uFF41' + 'a');
}
