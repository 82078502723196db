using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;

namespace BucketMount.Engine.Writing;

/// <summary>
/// The journal's on-disk format. A segment file <c>NNNNNNNNNN.log</c> is a run of entries, each
/// <c>[u32 body length][u32 CRC-32C of body][body]</c>, the body being <c>[u8 kind][i64 id][u32 json length][json]
/// [inline content]</c>. Reading stops at the first entry that is short or fails its checksum: the torn tail of a
/// write a crash interrupted, never acknowledged to anyone.
/// </summary>
internal static class JournalLog
{
    private const int HeaderBytes = 8;
    private const int BodyPrefixBytes = 1 + 8 + 4;
    private const string Extension = ".log";

    public enum Kind : byte
    {
        Pending = 1,
        Done = 2,

        /// <summary>Pending, and the rest of the body is the file's whole content (possibly empty).</summary>
        PendingWithContent = 3,

        /// <summary>An upload the store keeps parts of, begun and not yet ended (<see cref="PartUploadRecord"/>).</summary>
        PartUpload = 4,
    }

    public readonly record struct Entry(Kind Kind, long Id, byte[] Json, byte[]? Inline);

    public static string SegmentPath(string folder, long number) => Path.Combine(folder, number.ToString("D10", CultureInfo.InvariantCulture) + Extension);

    public static IEnumerable<(long Number, string Path)> Segments(string folder)
    {
        foreach (var path in Directory.EnumerateFiles(folder, "*" + Extension))
        {
            if (long.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                yield return (number, path);
            }
        }
    }

    public static byte[] Frame(Kind kind, long id, ReadOnlySpan<byte> json, byte[]? inline)
    {
        kind = kind == Kind.Pending && inline is not null ? Kind.PendingWithContent : kind;
        var bodyLength = BodyPrefixBytes + json.Length + (inline?.Length ?? 0);
        var entry = new byte[HeaderBytes + bodyLength];
        var body = entry.AsSpan(HeaderBytes);
        body[0] = (byte)kind;
        BinaryPrimitives.WriteInt64LittleEndian(body[1..], id);
        BinaryPrimitives.WriteInt32LittleEndian(body[9..], json.Length);
        json.CopyTo(body[BodyPrefixBytes..]);
        inline?.CopyTo(body[(BodyPrefixBytes + json.Length)..]);
        BinaryPrimitives.WriteInt32LittleEndian(entry, bodyLength);
        BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(4), Checksum(body));
        return entry;
    }

    public static List<Entry> Read(string path)
    {
        var entries = new List<Entry>();
        var bytes = File.ReadAllBytes(path);
        var span = bytes.AsSpan();
        while (span.Length >= HeaderBytes)
        {
            var bodyLength = BinaryPrimitives.ReadInt32LittleEndian(span);
            if (bodyLength < BodyPrefixBytes || bodyLength > span.Length - HeaderBytes)
            {
                break;
            }

            var body = span.Slice(HeaderBytes, bodyLength);
            if (BinaryPrimitives.ReadUInt32LittleEndian(span[4..]) != Checksum(body))
            {
                break;
            }

            var jsonLength = BinaryPrimitives.ReadInt32LittleEndian(body[9..]);
            if (jsonLength < 0 || jsonLength > bodyLength - BodyPrefixBytes || !Enum.IsDefined((Kind)body[0]))
            {
                break;
            }

            var kind = (Kind)body[0];
            entries.Add(new Entry(kind == Kind.PendingWithContent ? Kind.Pending : kind, BinaryPrimitives.ReadInt64LittleEndian(body[1..]), body.Slice(BodyPrefixBytes, jsonLength).ToArray(),
                kind == Kind.PendingWithContent ? body[(BodyPrefixBytes + jsonLength)..].ToArray() : null));
            span = span[(HeaderBytes + bodyLength)..];
        }

        return entries;
    }

    private static uint Checksum(ReadOnlySpan<byte> data)
    {
        var crc = uint.MaxValue;
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }

        foreach (var b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return ~crc;
    }
}
