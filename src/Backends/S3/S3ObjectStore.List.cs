using System.Runtime.CompilerServices;
using Amazon.S3.Model;
using BucketMount.Backends.Internal;

namespace BucketMount.Backends.S3;

public sealed partial class S3ObjectStore
{
    public async IAsyncEnumerable<ListEntry> ListAsync(string prefix, string? delimiter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? marker = null;
        do
        {
            var (entries, next) = _options.ListVersion == 1
                ? await ListPageV1Async(prefix, delimiter, marker, cancellationToken).ConfigureAwait(false)
                : await ListPageV2Async(prefix, delimiter, marker, cancellationToken).ConfigureAwait(false);
            foreach (var entry in entries)
            {
                yield return entry;
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
            response = await _client.ListObjectsAsync(new ListObjectsRequest { BucketName = Bucket, Prefix = prefix, Delimiter = delimiter, Marker = marker }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw Fail(e, prefix);
        }

        var entries = Merge(response.S3Objects, response.CommonPrefixes);

        // V1 gives NextMarker only with a delimiter; without one the last key is the marker.
        var next = response.IsTruncated == true ? response.NextMarker ?? entries.LastOrDefault()?.Key : null;
        return (entries, next);
    }

    private async Task<(List<ListEntry> Entries, string? Next)> ListPageV2Async(string prefix, string? delimiter, string? token, CancellationToken cancellationToken)
    {
        Counters.CountRequest(RequestKind.List);
        ListObjectsV2Response response;
        try
        {
            response = await _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, Prefix = prefix, Delimiter = delimiter, ContinuationToken = token }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw Fail(e, prefix);
        }

        return (Merge(response.S3Objects, response.CommonPrefixes), response.IsTruncated == true ? response.NextContinuationToken : null);
    }

    private static List<ListEntry> Merge(List<S3Object>? objects, List<string>? prefixes)
    {
        var entries = new List<ListEntry>((objects?.Count ?? 0) + (prefixes?.Count ?? 0));
        foreach (var o in objects ?? [])
        {
            entries.Add(ListEntry.ForObject(new ObjectInfo(o.Key, o.Size ?? 0, o.ETag, ToTime(o.LastModified))));
        }

        foreach (var p in prefixes ?? [])
        {
            entries.Add(ListEntry.ForPrefix(p));
        }

        entries.Sort((a, b) => KeyOrder.Instance.Compare(a.Key, b.Key));
        return entries;
    }
}
