using System.IO.Compression;
using System.Text.Json;

namespace BucketMount.Engine.Namespace.Index;

/// <summary>
/// The per-directory index object: a gzip-compressed JSON document at "&lt;directory prefix&gt;.bucketmount-index",
/// inside the directory it describes, so a mount of any prefix above or below finds the same one. Entries are keyed
/// by key segment (not by shown name), so mounts with other name encodings read the same entries.
/// An object of that name that is not in this format is never parsed as an index nor overwritten.
/// </summary>
public static class DirectoryIndexFormat
{
    /// <summary>The key segment reserved in every directory; hidden from listings and refused as a file name.</summary>
    public const string ReservedName = ".bucketmount-index";

    private const string FormatName = "bucketmount-index";
    private const int Version = 1;

    /// <summary>The index key of the directory whose children live under <paramref name="directoryPrefix"/> ("" or ending in '/').</summary>
    public static string KeyOf(string directoryPrefix) => directoryPrefix + ReservedName;

    public static byte[] Serialize(IReadOnlyDictionary<string, IndexEntry> entries)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var json = new Utf8JsonWriter(gzip))
        {
            json.WriteStartObject();
            json.WriteString("format", FormatName);
            json.WriteNumber("version", Version);
            json.WriteStartObject("entries");
            foreach (var (segment, entry) in entries.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                json.WriteStartObject(segment);
                json.WriteString("k", entry.IsDirectory ? "d" : "f");
                if (entry.ETag is { } etag)
                {
                    json.WriteString("e", etag);
                }

                if (entry.Size is { } size)
                {
                    json.WriteNumber("s", size);
                }

                if (entry.LastModifiedSeconds is { } seconds)
                {
                    json.WriteNumber("t", seconds);
                }

                json.WriteStartObject("m");
                foreach (var (name, value) in entry.Metadata.OrderBy(m => m.Key, StringComparer.Ordinal))
                {
                    json.WriteString(name, value);
                }

                json.WriteEndObject();
                if (entry.LinkTarget is { } target)
                {
                    json.WriteBase64String("l", target);
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>The entries of a stored index, or null when the bytes are not an index this version understands.</summary>
    public static Dictionary<string, IndexEntry>? TryParse(byte[] data)
    {
        try
        {
            using var gzip = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
            using var document = JsonDocument.Parse(gzip);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var format) || format.GetString() != FormatName
                || !root.TryGetProperty("version", out var version) || version.GetInt32() != Version
                || !root.TryGetProperty("entries", out var list) || list.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var entries = new Dictionary<string, IndexEntry>(StringComparer.Ordinal);
            foreach (var item in list.EnumerateObject())
            {
                var value = item.Value;
                var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
                if (value.TryGetProperty("m", out var stored))
                {
                    foreach (var field in stored.EnumerateObject())
                    {
                        metadata[field.Name] = field.Value.GetString() ?? "";
                    }
                }

                entries[item.Name] = new IndexEntry(
                    value.TryGetProperty("k", out var kind) && kind.GetString() == "d",
                    value.TryGetProperty("e", out var etag) ? etag.GetString() : null,
                    value.TryGetProperty("s", out var size) ? size.GetInt64() : null,
                    value.TryGetProperty("t", out var time) ? time.GetInt64() : null,
                    metadata,
                    value.TryGetProperty("l", out var link) ? link.GetBytesFromBase64() : null);
            }

            return entries;
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or InvalidOperationException or FormatException or IOException)
        {
            return null;
        }
    }
}
