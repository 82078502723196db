using System.Buffers;
using System.Text;

namespace BucketMount.Engine.Namespace;

/// <summary>
/// Linux names are bytes, not text: a program may create "x\xff", which is not UTF-8. The engine carries names as
/// strings, so the FUSE host turns bytes into a string the way Python's "surrogateescape" does: valid UTF-8 is
/// decoded, and each byte that is not part of a valid sequence becomes the lone surrogate U+DC00 + byte (U+DC80 to
/// U+DCFF, which no valid UTF-8 decodes to). Turning the string back gives exactly the original bytes.
/// <see cref="LinuxNames"/> then maps such strings to keys (which must be valid UTF-8) reversibly.
/// </summary>
public static class RawNames
{
    private const char EscapeBase = '\uDC00';

    /// <summary>The string for a name or path given as bytes.</summary>
    public static string FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes))
        {
            return Encoding.UTF8.GetString(bytes);
        }

        var builder = new StringBuilder(bytes.Length);
        Span<char> pair = stackalloc char[2];
        while (!bytes.IsEmpty)
        {
            if (Rune.DecodeFromUtf8(bytes, out var rune, out var consumed) == OperationStatus.Done)
            {
                builder.Append(pair[..rune.EncodeToUtf16(pair)]);
                bytes = bytes[consumed..];
            }
            else
            {
                // One byte at a time, so every invalid byte keeps its own place (as rclone and Python do).
                builder.Append((char)(EscapeBase + bytes[0]));
                bytes = bytes[1..];
            }
        }

        return builder.ToString();
    }

    /// <summary>The bytes a string from <see cref="FromBytes"/> stands for.</summary>
    public static byte[] ToBytes(string name)
    {
        if (!HasEscapedBytes(name))
        {
            return Encoding.UTF8.GetBytes(name);
        }

        var bytes = new List<byte>(name.Length + 8);
        Span<byte> buffer = stackalloc byte[4];
        for (var i = 0; i < name.Length; i++)
        {
            // A surrogate pair is consumed at its high half, so an escape met here is a lone one.
            if (IsEscapedByte(name[i]))
            {
                bytes.Add((byte)(name[i] - EscapeBase));
                continue;
            }

            var length = char.IsHighSurrogate(name[i]) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]) ? 2 : 1;
            var written = Encoding.UTF8.GetBytes(name.AsSpan(i, length), buffer);
            bytes.AddRange(buffer[..written]);
            i += length - 1;
        }

        return [.. bytes];
    }

    /// <summary>How many bytes the name has on Linux (what NAME_MAX counts).</summary>
    public static int ByteCount(string name) => HasEscapedBytes(name) ? ToBytes(name).Length : Encoding.UTF8.GetByteCount(name);

    /// <summary>True when the string holds bytes that are not UTF-8 (escaped as lone surrogates).</summary>
    public static bool HasEscapedBytes(string name)
    {
        foreach (var c in name)
        {
            if (char.IsSurrogate(c))
            {
                return HasLoneEscape(name);
            }
        }

        return false;
    }

    /// <summary>The canonical string for a name: what <see cref="FromBytes"/> gives for its bytes.</summary>
    public static string Canonical(string name) => HasEscapedBytes(name) ? FromBytes(ToBytes(name)) : name;

    internal static bool IsEscapedByte(char c) => c is >= '\uDC80' and <= '\uDCFF';

    internal static char Escape(byte b) => (char)(EscapeBase + b);

    private static bool HasLoneEscape(string name)
    {
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsHighSurrogate(name[i]) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]))
            {
                i++;
            }
            else if (IsEscapedByte(name[i]))
            {
                return true;
            }
        }

        return false;
    }
}
