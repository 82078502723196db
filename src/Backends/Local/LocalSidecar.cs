using System.Text.Json;
using System.Text.Json.Serialization;

namespace BucketMount.Backends.Local;

/// <summary>
/// What the local store keeps beside each object's bytes: ETag, content type and user metadata, plus the size
/// and modification time the bytes had when written, so a file changed by hand (or a crash between the two
/// renames) is noticed and gets a fresh ETag instead of a stale one.
/// </summary>
internal sealed record LocalSidecar(
    [property: JsonPropertyName("etag")] string ETag,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("mtimeTicks")] long ModifiedTicks,
    [property: JsonPropertyName("contentType")] string? ContentType,
    [property: JsonPropertyName("metadata")] Dictionary<string, string>? Metadata)
{
    public byte[] Serialize() => JsonSerializer.SerializeToUtf8Bytes(this, LocalSidecarJson.Default.LocalSidecar);

    public static LocalSidecar? TryParse(byte[] bytes)
    {
        try
        {
            return JsonSerializer.Deserialize(bytes, LocalSidecarJson.Default.LocalSidecar);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

[JsonSerializable(typeof(LocalSidecar))]
internal sealed partial class LocalSidecarJson : JsonSerializerContext;
