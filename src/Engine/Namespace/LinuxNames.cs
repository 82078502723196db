using System.Buffers;
using System.Text;

namespace BucketMount.Engine.Namespace;

/// <summary>
/// Maps Linux names (any bytes but '/' and NUL, carried as <see cref="RawNames"/> strings) to key segments, which
/// must be valid UTF-8, and back: a bijection, so every name has exactly one key and every key exactly one name.
/// <para>
/// A byte that is not part of valid UTF-8 is written as rclone writes it: the quote '‛' (U+201B) and two upper-case
/// hex digits, so "x\xff" is the key "x‛FF". Everything else stays as it is. Text that already looks like such an
/// escape is told apart by the number of quotes before it: at a <em>site</em> — a run of n ≥ 1 quotes followed by
/// two upper-case hex digits from 80 to FF — an odd n stands for (n-1)/2 quotes and the byte, an even n for n/2
/// quotes and the two digits as text. So the name "‛FF" (text) is the key "‛‛FF", and a key "‛‛FF" written by
/// another tool shows as "‛FF". Quotes anywhere else are themselves.
/// </para>
/// <para>
/// One case needs more: escaped bytes next to each other that would together be valid UTF-8 ("‛C3‛A9" would be
/// "é", which is already the key "é"). A site is <em>blocked</em> when its byte, placed straight after the bytes
/// escaped just before it, would complete a valid character; such a byte can never stand alone in a name. At a
/// blocked site the count shifts by one (n stands for what n+1 means elsewhere), so the key "‛C3‛A9" shows as the
/// byte C3 followed by the text "‛A9", and every key still has its own name.
/// </para>
/// </summary>
internal static class LinuxNames
{
    public const char Quote = '\u201B';

    private static readonly SearchValues<char> Special = SearchValues.Create(
        [Quote, .. Enumerable.Range(0xD800, 0x800).Select(c => (char)c)]);

    /// <summary>The key segment for a name.</summary>
    public static string ToSegment(string name)
    {
        if (name.AsSpan().IndexOfAny(Special) < 0)
        {
            return name;
        }

        name = RawNames.Canonical(name);
        var key = new StringBuilder(name.Length + 8);
        var pending = new PendingBytes();
        var i = 0;
        while (i < name.Length)
        {
            var quotes = CountQuotes(name, i);
            var next = i + quotes;
            if (next < name.Length && RawNames.IsEscapedByte(name[next]))
            {
                var value = (byte)(name[next] - '\uDC00');
                var blocked = pending.WouldComplete(value);
                // Unblocked, n odd means (n-1)/2 quotes and the byte; blocked, n means what n+1 means elsewhere.
                var count = blocked ? 2 * quotes : 2 * quotes + 1;
                if (count == 0)
                {
                    throw new ArgumentException("the name is not in canonical form.", nameof(name));
                }

                key.Append(Quote, count).Append(Hex(value));
                pending.AfterByte(value, quotes);
                i = next + 1;
            }
            else if (quotes > 0 && TryReadSite(name, next, out var text))
            {
                var blocked = pending.WouldComplete(text);
                var count = blocked ? 2 * quotes - 1 : 2 * quotes;
                key.Append(Quote, count).Append(name, next, 2);
                pending.Clear();
                i = next + 2;
            }
            else if (quotes > 0)
            {
                key.Append(Quote, quotes);
                pending.Clear();
                i = next;
            }
            else
            {
                // A surrogate pair goes whole: its low half may look like an escaped byte (U+DC80 to U+DCFF).
                var length = char.IsHighSurrogate(name[i]) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]) ? 2 : 1;
                key.Append(name, i, length);
                pending.Clear();
                i += length;
            }
        }

        return key.ToString();
    }

    /// <summary>The name a key segment shows as, or null when the segment is not valid text (a lone surrogate).</summary>
    public static string? ToName(string segment)
    {
        if (segment.AsSpan().IndexOfAny(Special) < 0)
        {
            return segment;
        }

        if (HasLoneSurrogate(segment))
        {
            return null;
        }

        if (!segment.Contains(Quote, StringComparison.Ordinal))
        {
            return segment;
        }

        var name = new StringBuilder(segment.Length);
        var pending = new PendingBytes();
        var i = 0;
        while (i < segment.Length)
        {
            var quotes = CountQuotes(segment, i);
            var next = i + quotes;
            if (quotes > 0 && TryReadSite(segment, next, out var value))
            {
                var blocked = pending.WouldComplete(value);
                var meaning = blocked ? quotes + 1 : quotes;
                var literalQuotes = meaning / 2;
                name.Append(Quote, literalQuotes);
                if (meaning % 2 == 1)
                {
                    name.Append(RawNames.Escape(value));
                    pending.AfterByte(value, literalQuotes);
                }
                else
                {
                    name.Append(segment, next, 2);
                    pending.Clear();
                }

                i = next + 2;
            }
            else if (quotes > 0)
            {
                name.Append(Quote, quotes);
                pending.Clear();
                i = next;
            }
            else
            {
                name.Append(segment[i]);
                pending.Clear();
                i++;
            }
        }

        return name.ToString();
    }

    private static int CountQuotes(string text, int start)
    {
        var end = start;
        while (end < text.Length && text[end] == Quote)
        {
            end++;
        }

        return end - start;
    }

    /// <summary>Two upper-case hex digits from 80 to FF at <paramref name="index"/>: the part of a site after its quotes.</summary>
    private static bool TryReadSite(string text, int index, out byte value)
    {
        value = 0;
        if (index + 1 >= text.Length || HexValue(text[index]) is not (>= 8 and var high) || HexValue(text[index + 1]) is not (>= 0 and var low))
        {
            return false;
        }

        value = (byte)(high * 16 + low);
        return true;
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    private static string Hex(byte value) => value.ToString("X2", System.Globalization.CultureInfo.InvariantCulture);

    private static bool HasLoneSurrogate(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The invalid bytes that end the name so far (at most the three a UTF-8 character can start with).</summary>
    private struct PendingBytes
    {
        private uint _bytes;
        private int _count;

        /// <summary>True when <paramref name="value"/> right after the pending bytes would complete a valid character.</summary>
        public readonly bool WouldComplete(byte value)
        {
            Span<byte> sequence = stackalloc byte[4];
            for (var take = Math.Min(_count, 3); take >= 1; take--)
            {
                for (var k = 0; k < take; k++)
                {
                    sequence[k] = (byte)(_bytes >> (8 * (take - 1 - k)));
                }

                sequence[take] = value;
                if (Rune.DecodeFromUtf8(sequence[..(take + 1)], out _, out var consumed) == OperationStatus.Done && consumed == take + 1)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>A byte was written; <paramref name="quotesBefore"/> literal quotes before it end the earlier run.</summary>
        public void AfterByte(byte value, int quotesBefore)
        {
            if (quotesBefore > 0)
            {
                Clear();
            }

            _bytes = (_bytes << 8) | value;
            _count = Math.Min(_count + 1, 3);
        }

        public void Clear()
        {
            _bytes = 0;
            _count = 0;
        }
    }
}
