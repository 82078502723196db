using System.Globalization;
using System.Text;

namespace BucketMount.Backends;

/// <summary>
/// Key names come from a bucket's contents, which whoever can write the bucket controls: printed raw, a name
/// holding ESC or a C1 control could drive the user's terminal (change its title, fake output, worse). Every
/// command and log line shows names the way `ls -b` does: C escapes (\n, \t, \\) and octal bytes (\033) for
/// anything non-graphic, including C1 controls and the bidirectional overrides that reorder what a reader sees.
/// </summary>
public static class PrintableNames
{
    /// <summary>A key or path as `ls -b` would print it: unambiguous, with no control character left.</summary>
    public static string Escape(string name) => Escape(name, escapeBackslash: true);

    /// <summary>
    /// A whole message or log line with its control characters escaped; backslashes stay as they are (Windows
    /// paths read normally), so this is for text that only may contain names, not for names alone.
    /// </summary>
    public static string EscapeControls(string text) => Escape(text, escapeBackslash: false);

    private static string Escape(string text, bool escapeBackslash)
    {
        if (!NeedsEscaping(text, escapeBackslash))
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 16);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[++i]);
                continue;
            }

            switch (c)
            {
                case '\\' when escapeBackslash: builder.Append(@"\\"); break;
                case '\a': builder.Append(@"\a"); break;
                case '\b': builder.Append(@"\b"); break;
                case '\t': builder.Append(@"\t"); break;
                case '\n': builder.Append(@"\n"); break;
                case '\v': builder.Append(@"\v"); break;
                case '\f': builder.Append(@"\f"); break;
                case '\r': builder.Append(@"\r"); break;
                default:
                    if (IsUnsafe(c))
                    {
                        // As ls -b: each UTF-8 byte in octal (a lone surrogate as U+FFFD's bytes).
                        var count = Encoding.UTF8.GetBytes(char.IsSurrogate(c) ? "\uFFFD" : c.ToString(), utf8);
                        foreach (var b in utf8[..count])
                        {
                            builder.Append('\\').Append(Convert.ToString(b, 8).PadLeft(3, '0'));
                        }
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        return builder.ToString();
    }

    private static bool NeedsEscaping(string text, bool escapeBackslash)
    {
        foreach (var c in text)
        {
            if (IsUnsafe(c) || (escapeBackslash && c == '\\'))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>C0 and C1 controls, DEL, lone surrogates, and the format characters that reorder or hide text (bidi overrides, isolates).</summary>
    private static bool IsUnsafe(char c) =>
        c < 0x20 || c is >= '\u007F' and <= '\u009F'
        || c is >= '\u202A' and <= '\u202E' || c is >= '\u2066' and <= '\u2069' || c is '\u200E' or '\u200F' or '\u061C'
        || char.IsSurrogate(c) || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
}
