using System.Text.Json.Serialization;

namespace BucketMount.Engine.Writing;

/// <summary>
/// A closed file waiting for upload, written durably before close returns: enough to finish the upload after a
/// crash. The staging file it names is whole (every byte present) and fsynced.
/// </summary>
public sealed record JournalRecord
{
    [JsonPropertyName("id")]
    public required long Id { get; init; }

    [JsonPropertyName("path")]
    public required string Path { get; init; }

    [JsonPropertyName("size")]
    public required long Size { get; init; }

    [JsonPropertyName("mtime")]
    public required DateTimeOffset ModifiedTime { get; init; }

    [JsonPropertyName("mode")]
    public int? Mode { get; init; }

    [JsonPropertyName("uid")]
    public int? Uid { get; init; }

    [JsonPropertyName("gid")]
    public int? Gid { get; init; }

    [JsonPropertyName("winattrs")]
    public int? WindowsAttributes { get; init; }

    [JsonPropertyName("btime")]
    public DateTimeOffset? CreationTime { get; init; }

    /// <summary>The store version the changes were made on (for If-Match); null for a new file.</summary>
    [JsonPropertyName("baseEtag")]
    public string? BaseETag { get; init; }

    [JsonPropertyName("staging")]
    public required string StagingFile { get; init; }
}

[JsonSerializable(typeof(JournalRecord))]
internal sealed partial class JournalJson : JsonSerializerContext;
