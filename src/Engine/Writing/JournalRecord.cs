using System.Text.Json.Serialization;

namespace BucketMount.Engine.Writing;

/// <summary>
/// A closed file waiting for upload, written durably before close returns: enough to finish the upload after a
/// crash. The staging file it names is whole (every byte present) and fsynced, and its first <see cref="Size"/>
/// bytes stay as they are while the record is pending: a later change goes to a new staging file
/// (<see cref="StagingFile.ForChange"/>), so a crash mid-rewrite recovers what close returned for.
/// </summary>
internal sealed record JournalRecord
{
    [JsonPropertyName("id")]
    public required long Id { get; init; }

    [JsonPropertyName("path")]
    [JsonConverter(typeof(RawPathJsonConverter))]
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

    [JsonPropertyName("ctime")]
    public DateTimeOffset? ChangeTime { get; init; }

    [JsonPropertyName("atime")]
    public DateTimeOffset? AccessTime { get; init; }

    [JsonPropertyName("mtimeNs")]
    public int ModifiedTimeSubTickNs { get; init; }

    [JsonPropertyName("atimeNs")]
    public int AccessTimeSubTickNs { get; init; }

    /// <summary>The store version the changes were made on (for If-Match); null for a new file.</summary>
    [JsonPropertyName("baseEtag")]
    public string? BaseETag { get; init; }

    [JsonPropertyName("staging")]
    public required string StagingFile { get; init; }

    /// <summary>The id the upload carries in its metadata (<see cref="UploadIds"/>); absent in records of older versions.</summary>
    [JsonPropertyName("uploadId")]
    public string? UploadId { get; init; }

    /// <summary>Upload beside the original as a conflict copy (<see cref="Files.OpenFile.KeepAsConflictCopy"/>).</summary>
    [JsonPropertyName("conflictCopy")]
    public bool KeepAsConflictCopy { get; init; }
}

/// <summary>
/// An upload the store keeps parts of (S3 multipart), recorded before its first part is sent and marked done when it
/// completes or is aborted. One still pending at the next start was interrupted by a crash: its parts are discarded.
/// </summary>
internal sealed record PartUploadRecord
{
    [JsonPropertyName("id")]
    public required long Id { get; init; }

    [JsonPropertyName("key")]
    public required string Key { get; init; }

    [JsonPropertyName("uploadId")]
    public required string UploadId { get; init; }
}

/// <summary>What a journal held at start: files to upload, and uploads in parts a crash left unfinished.</summary>
internal sealed record JournalContents(List<JournalRecord> Files, List<PartUploadRecord> PartUploads);

[JsonSerializable(typeof(JournalRecord))]
[JsonSerializable(typeof(PartUploadRecord))]
internal sealed partial class JournalJson : JsonSerializerContext;
