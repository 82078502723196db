using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Amazon.S3;
using Amazon.S3.Model;

namespace BucketMount.Backends.S3;

public sealed partial class S3ObjectStore
{
    public async Task<IPartUpload?> BeginPartUploadAsync(string key, PutOptions options, CancellationToken cancellationToken)
    {
        Validate(key);
        var metadata = MetadataRules.Validate(options.Metadata, Description, key);
        var uploadId = await InitiateAsync(key, metadata, options.ContentType ?? "application/octet-stream", cancellationToken).ConfigureAwait(false);
        return new S3PartUpload(this, key, uploadId, options, metadata ?? new Dictionary<string, string>());
    }

    public async Task AbortPartUploadAsync(string key, string uploadId, CancellationToken cancellationToken)
    {
        Validate(key);
        Counters.CountRequest(RequestKind.Multipart);
        try
        {
            await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = Bucket, Key = key, UploadId = uploadId }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // NoSuchUpload: completed or aborted already, which is what was asked.
            if (Fail(e, key) is { Kind: not ObjectStoreErrorKind.NotFound } failure)
            {
                throw failure;
            }
        }
    }

    public async IAsyncEnumerable<UnfinishedPartUpload> ListUnfinishedPartUploadsAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? keyMarker = null;
        string? uploadIdMarker = null;
        do
        {
            ListMultipartUploadsResponse response;
            Counters.CountRequest(RequestKind.List);
            try
            {
                response = await _client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest
                {
                    BucketName = Bucket,
                    Prefix = prefix,
                    KeyMarker = keyMarker,
                    UploadIdMarker = uploadIdMarker,
                    Encoding = EncodingType.Url,
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                throw Fail(e, prefix);
            }

            // Keys come URL-encoded when the answer says so, as in object listings.
            var decode = IsUrlEncoded(response.EncodingType);
            foreach (var upload in response.MultipartUploads ?? [])
            {
                yield return new UnfinishedPartUpload(decode ? UrlDecode(upload.Key) : upload.Key, upload.UploadId, upload.Initiated is { } initiated ? new DateTimeOffset(initiated.ToUniversalTime(), TimeSpan.Zero) : DateTimeOffset.MinValue);
            }

            // A page that says it is truncated but gives no marker to go on from would loop forever: stop there.
            (keyMarker, uploadIdMarker) = response.IsTruncated == true && !string.IsNullOrEmpty(response.NextKeyMarker)
                ? (decode ? UrlDecode(response.NextKeyMarker) : response.NextKeyMarker, response.NextUploadIdMarker)
                : (null, null);
        }
        while (keyMarker is not null);
    }

    /// <summary>One multipart upload; the part ETags S3 answered are kept here until completion.</summary>
    private sealed class S3PartUpload(S3ObjectStore store, string key, string uploadId, PutOptions options, IReadOnlyDictionary<string, string> metadata) : IPartUpload
    {
        private readonly ConcurrentDictionary<int, string> _etags = new();

        public string Key => key;

        public string UploadId => uploadId;

        public async Task UploadPartAsync(int partNumber, IUploadSource source, long offset, long length, CancellationToken cancellationToken)
        {
            try
            {
                var part = await store.SendPartAsync(key, uploadId, partNumber, source, offset, length, cancellationToken).ConfigureAwait(false);
                _etags[partNumber] = part.ETag;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                throw store.Fail(e, key);
            }
        }

        public async Task<ObjectInfo> CompleteAsync(long length, CancellationToken cancellationToken)
        {
            var parts = _etags.OrderBy(p => p.Key).Select(p => new PartETag(p.Key, p.Value)).ToList();
            if (parts.Count == 0 || parts[^1].PartNumber != parts.Count)
            {
                throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument,
                    $"parts 1 to {parts.Count} must all be sent before completing (have {string.Join(", ", parts.Select(p => p.PartNumber))}).", store.Description, key);
            }

            try
            {
                var etag = await store.CompleteUploadAsync(key, uploadId, parts, options, cancellationToken).ConfigureAwait(false);
                return new ObjectInfo(key, length, etag, DateTimeOffset.UtcNow, metadata, options.ContentType ?? "application/octet-stream");
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                throw store.Fail(e, key);
            }
        }

        public Task AbortAsync(CancellationToken cancellationToken) => store.AbortAsync(key, uploadId);
    }
}
