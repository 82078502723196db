using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace BucketMount.Backends.S3;

public sealed partial class S3ObjectStore
{
    // The headers S3 keeps with an object besides its type and user metadata, which a copy with the REPLACE
    // directive drops unless the request repeats them. Another tool set them (`aws s3 cp --cache-control`, a website
    // bucket); a chmod or rename through the mount must not reset them.
    private static readonly string[] KeptContentHeaders = ["Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires"];

    /// <summary>One HEAD: the object as <see cref="HeadAsync"/> tells it, plus the content headers a REPLACE copy must repeat.</summary>
    private async Task<(ObjectInfo Info, Dictionary<string, string> Headers)?> HeadWithContentHeadersAsync(string key, CancellationToken cancellationToken)
    {
        if (await HeadResponseAsync(key, cancellationToken).ConfigureAwait(false) is not { } response)
        {
            return null;
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in KeptContentHeaders)
        {
            if (response.Headers.Keys.Contains(name, StringComparer.OrdinalIgnoreCase) && response.Headers[name] is { Length: > 0 } value)
            {
                headers[name] = value;
            }
        }

        return (ToObjectInfo(key, response), headers);
    }

    private static ObjectInfo ToObjectInfo(string key, GetObjectMetadataResponse response) =>
        new(key, response.ContentLength, response.ETag, ToTime(response.LastModified), ReadMetadata(response.Metadata), response.Headers.ContentType);

    /// <summary>One HEAD; null when the object does not exist.</summary>
    private async Task<GetObjectMetadataResponse?> HeadResponseAsync(string key, CancellationToken cancellationToken)
    {
        Counters.CountRequest(RequestKind.Head);
        try
        {
            return await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = Bucket, Key = key }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode != "NoSuchBucket")
        {
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw Fail(e, key);
        }
    }

    private static void RepeatContentHeaders(HeadersCollection request, IReadOnlyDictionary<string, string> headers)
    {
        foreach (var (name, value) in headers)
        {
            request[name] = value;
        }
    }
}
