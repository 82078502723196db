using System.Security.Cryptography;
using BucketMount.Backends;

namespace BucketMount.Engine.Writing;

/// <summary>
/// A random id carried in the metadata of every object we upload, one per version of a file's content and
/// attributes (kept in its journal record, so retries and the next mount after a crash send the same one). When a
/// conditional write fails, the store may be answering a retry of our own request whose first response was lost:
/// the object then carries our id, and it is not someone else's change.
/// </summary>
internal static class UploadIds
{
    /// <summary>The metadata name: letters only, so every store and every HTTP proxy carries it unchanged.</summary>
    public const string MetadataKey = "bmupload";

    public static string New() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>A copy of <paramref name="metadata"/> that also carries <paramref name="uploadId"/>.</summary>
    public static Dictionary<string, string> With(IReadOnlyDictionary<string, string>? metadata, string uploadId)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in metadata ?? new Dictionary<string, string>())
        {
            result[name] = value;
        }

        result[MetadataKey] = uploadId;
        return result;
    }

    /// <summary>The metadata without the upload id: what describes the file, to compare two uploads' attributes.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Attributes(IReadOnlyDictionary<string, string>? metadata) =>
        (metadata ?? new Dictionary<string, string>()).Where(p => p.Key != MetadataKey).OrderBy(p => p.Key, StringComparer.Ordinal);

    /// <summary>The upload id an object carries, if it was uploaded by us (a HEAD's answer; listings carry no metadata).</summary>
    public static string? Of(ObjectInfo? stored) => stored?.Metadata?.GetValueOrDefault(MetadataKey);

    /// <summary>The object in the store is exactly the upload <paramref name="uploadId"/> of <paramref name="size"/> bytes.</summary>
    public static bool IsUpload(ObjectInfo? stored, string? uploadId, long size) =>
        uploadId is not null && stored is not null && stored.Size == size && Of(stored) == uploadId;
}
