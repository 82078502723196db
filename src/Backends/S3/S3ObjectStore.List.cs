using System.Runtime.CompilerServices;
using Amazon.S3;
using Amazon.S3.Model;
using BucketMount.Backends.Internal;

namespace BucketMount.Backends.S3;

public sealed partial class S3ObjectStore
{
    public IAsyncEnumerable<ListEntry> ListAsync(string prefix, string? delimiter, CancellationToken cancellationToken) =>
        ListAsync(prefix, delimiter, null, cancellationToken);

    public async IAsyncEnumerable<ListEntry> ListAsync(string prefix, string? delimiter, string? startAfter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // V1's marker and V2's start-after both mean "keys after this one"; V2 then continues with its opaque token.
        string? marker = startAfter;
        var first = true;
        do
        {
            var (entries, next) = _options.ListVersion == 1
                ? await ListPageV1Async(prefix, delimiter, marker, cancellationToken).ConfigureAwait(false)
                : await ListPageV2Async(prefix, delimiter, first ? null : marker, first ? startAfter : null, cancellationToken).ConfigureAwait(false);
            first = false;
            foreach (var entry in entries)
            {
                // A marker that is a common prefix must not bring that prefix back (servers differ).
                if (startAfter is null || KeyOrder.Instance.Compare(entry.Key, startAfter) > 0)
                {
                    yield return entry;
                }
            }

            marker = next;
        }
        while (marker is not null);
    }

    private async Task<(List<ListEntry> Entries, string? Next)> ListPageV1Async(string prefix, string? delimiter, string? marker, CancellationToken cancellationToken)
    {
        Counters.CountRequest(RequestKind.List);
        ListObjectsResponse response;
        try
        {
            response = await _client.ListObjectsAsync(new ListObjectsRequest { BucketName = Bucket, Prefix = prefix, Delimiter = delimiter, Marker = marker, Encoding = EncodingType.Url }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw Fail(e, prefix);
        }

        var decode = IsUrlEncoded(response.Encoding);
        var entries = Merge(response.S3Objects, response.CommonPrefixes, decode);

        // V1 gives NextMarker only with a delimiter; without one the last key is the marker.
        var nextMarker = response.NextMarker is { } encoded && decode ? UrlDecode(encoded) : response.NextMarker;
        var next = response.IsTruncated == true ? nextMarker ?? entries.LastOrDefault()?.Key : null;
        return (entries, next);
    }

    private async Task<(List<ListEntry> Entries, string? Next)> ListPageV2Async(string prefix, string? delimiter, string? token, string? startAfter, CancellationToken cancellationToken)
    {
        Counters.CountRequest(RequestKind.List);
        ListObjectsV2Response response;
        try
        {
            response = await _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, Prefix = prefix, Delimiter = delimiter, ContinuationToken = token, StartAfter = startAfter, Encoding = EncodingType.Url }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw Fail(e, prefix);
        }

        // The continuation token is opaque: never URL-encoded, passed back as it came.
        return (Merge(response.S3Objects, response.CommonPrefixes, IsUrlEncoded(response.Encoding)), response.IsTruncated == true ? response.NextContinuationToken : null);
    }

    /// <summary>
    /// True when the answer says its keys are URL-encoded. Only then are they decoded: a server that ignores
    /// encoding-type=url sends keys as they are, and decoding those would turn a key "a%41" into "aA".
    /// </summary>
    private static bool IsUrlEncoded(EncodingType? encoding) => string.Equals(encoding?.Value, "url", StringComparison.OrdinalIgnoreCase);

    /// <summary>S3 encodes a space as '+' (and a '+' as %2B), as botocore's unquote_plus expects.</summary>
    private static string UrlDecode(string value) => Uri.UnescapeDataString(value.Replace('+', ' '));

    private static List<ListEntry> Merge(List<S3Object>? objects, List<string>? prefixes, bool decode)
    {
        var entries = new List<ListEntry>((objects?.Count ?? 0) + (prefixes?.Count ?? 0));
        foreach (var o in objects ?? [])
        {
            entries.Add(ListEntry.ForObject(new ObjectInfo(decode ? UrlDecode(o.Key) : o.Key, o.Size ?? 0, o.ETag, ToTime(o.LastModified))));
        }

        foreach (var p in prefixes ?? [])
        {
            entries.Add(ListEntry.ForPrefix(decode ? UrlDecode(p) : p));
        }

        entries.Sort((a, b) => KeyOrder.Instance.Compare(a.Key, b.Key));
        return entries;
    }
}
