using Amazon.S3;
using Amazon.S3.Model;
using BucketMount.Backends.Internal;

namespace BucketMount.Backends.S3;

public sealed partial class S3ObjectStore
{
    public async Task<ObjectInfo> UploadAsync(string key, IUploadSource source, UploadOptions? options, CancellationToken cancellationToken)
    {
        options ??= new UploadOptions();
        Validate(key);
        var metadata = MetadataRules.Validate(options.Metadata, Description, key);
        var partSize = PartSizeFor(source.Length, options.PartSize);
        if (source.Length <= partSize)
        {
            return await PutFromSourceAsync(key, source, options, cancellationToken).ConfigureAwait(false);
        }

        var contentType = options.ContentType ?? "application/octet-stream";
        var uploadId = await InitiateAsync(key, metadata, contentType, cancellationToken).ConfigureAwait(false);
        try
        {
            options.PartUploadBegun?.Invoke(uploadId);
            var parts = await UploadPartsAsync(key, uploadId, source, partSize, options.Concurrency, cancellationToken).ConfigureAwait(false);
            var etag = await CompleteUploadAsync(key, uploadId, parts, options, cancellationToken).ConfigureAwait(false);
            return new ObjectInfo(key, source.Length, etag, DateTimeOffset.UtcNow, metadata ?? new Dictionary<string, string>(), contentType);
        }
        catch (Exception e)
        {
            await AbortAsync(key, uploadId).ConfigureAwait(false);
            if (e is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw Fail(e, key);
        }
    }

    public async Task<ObjectInfo> CopyAsync(string sourceKey, string destinationKey, CopyOptions? options, CancellationToken cancellationToken)
    {
        Validate(sourceKey);
        Validate(destinationKey);
        var replace = MetadataRules.Validate(options?.ReplaceMetadata, Description, destinationKey);

        // The source's size decides between one CopyObject and a multipart copy, and is the copy's size. A size the
        // caller knows saves the HEAD (a directory rename copies every object it listed), unless the ETag must be
        // checked here or a replaced metadata set needs the source's content type.
        // The HEAD also tells the content headers (Cache-Control...) that a copy with new metadata must repeat.
        var (source, headers) = options is { SourceSize: { } knownSize, SourceIfMatch: null } && replace is null && knownSize <= _options.MultipartCopyThreshold
            ? (new ObjectInfo(sourceKey, knownSize, "", DateTimeOffset.MinValue), new Dictionary<string, string>())
            : await HeadWithContentHeadersAsync(sourceKey, cancellationToken).ConfigureAwait(false)
                ?? throw new ObjectStoreException(ObjectStoreErrorKind.NotFound, "no object has this key (copy source).", Description, sourceKey);

        // Checked here too, not only by x-amz-copy-source-if-match: some S3-compatible servers (fauxqs) ignore that header.
        if (options?.SourceIfMatch is { } expected && expected != source.ETag)
        {
            throw new ObjectStoreException(ObjectStoreErrorKind.PreconditionFailed, $"the copy source changed: its ETag is {source.ETag}, not {expected}.", Description, sourceKey);
        }

        if (source.Size > _options.MultipartCopyThreshold)
        {
            return await MultipartCopyAsync(source, headers, destinationKey, replace, options, cancellationToken).ConfigureAwait(false);
        }

        var request = new CopyObjectRequest
        {
            SourceBucket = Bucket,
            SourceKey = sourceKey,
            DestinationBucket = Bucket,
            DestinationKey = destinationKey,
            ETagToMatch = options?.SourceIfMatch,
            MetadataDirective = replace is null ? S3MetadataDirective.COPY : S3MetadataDirective.REPLACE,
        };
        if (replace is not null)
        {
            AddMetadata(request.Metadata, replace);
            request.ContentType = options?.ContentType ?? source.ContentType ?? "application/octet-stream";
            RepeatContentHeaders(request.Headers, headers);
        }

        Counters.CountRequest(RequestKind.Copy);
        try
        {
            var response = await CopyObjectAsync(request, source.ETag, cancellationToken).ConfigureAwait(false);
            return new ObjectInfo(destinationKey, source.Size, response.ETag, DateTimeOffset.UtcNow, replace ?? source.Metadata, request.ContentType ?? source.ContentType);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw Fail(e, destinationKey);
        }
    }

    /// <summary>
    /// One CopyObject; when the server did not find a source whose key holds a character decodeURI leaves escaped,
    /// once more with those characters as they are (see <see cref="S3ClientFactory.SendDecodeUriReservedRaw"/>). That
    /// retry is bound to the ETag the source had a moment ago: on a server that does decode them (S3) and lost the
    /// source in between, the raw spelling could name another object ("a?b" read as "a" with a query), and copying
    /// that one under this name would be silent damage; with the ETag bound it is refused and the NoSuchKey stands.
    /// </summary>
    private async Task<CopyObjectResponse> CopyObjectAsync(CopyObjectRequest request, string sourceETag, CancellationToken cancellationToken)
    {
        try
        {
            return await _client.CopyObjectAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception notFound) when (notFound.ErrorCode == "NoSuchKey" && S3ClientFactory.HasDecodeUriReserved(request.SourceKey))
        {
            // A caller that knew the size sent no HEAD: ask now, escaped as S3 wants (a missing source ends here).
            var boundETag = request.ETagToMatch ?? (sourceETag.Length > 0 ? sourceETag : (await HeadAsync(request.SourceKey, cancellationToken).ConfigureAwait(false))?.ETag);
            if (boundETag is null)
            {
                throw;
            }

            S3ClientFactory.SendDecodeUriReservedRaw.Value = true;
            request.ETagToMatch = boundETag;
            Counters.CountRequest(RequestKind.Copy);
            try
            {
                return await _client.CopyObjectAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (AmazonS3Exception)
            {
                // A server that decodes the escapes (S3) and truly lacks the source: its first answer is the one to report.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(notFound);
                throw;
            }
        }
    }

    /// <summary>Copies an object over 5 GiB (or over the configured threshold) with UploadPartCopy, parts in parallel.</summary>
    private async Task<ObjectInfo> MultipartCopyAsync(ObjectInfo source, IReadOnlyDictionary<string, string> headers, string destinationKey,
        IReadOnlyDictionary<string, string>? replace, CopyOptions? options, CancellationToken cancellationToken)
    {
        var uploadId = await InitiateAsync(destinationKey, replace ?? source.Metadata, options?.ContentType ?? source.ContentType ?? "application/octet-stream", cancellationToken,
            headers).ConfigureAwait(false);

        try
        {
            var partSize = PartSizeFor(source.Size, _options.MultipartCopyPartSize);
            var count = (int)((source.Size + partSize - 1) / partSize);
            var parts = new PartETag[count];
            await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (i, ct) =>
            {
                var first = (long)i * partSize;
                var request = new CopyPartRequest
                {
                    SourceBucket = Bucket,
                    SourceKey = source.Key,
                    DestinationBucket = Bucket,
                    DestinationKey = destinationKey,
                    UploadId = uploadId,
                    PartNumber = i + 1,
                    FirstByte = first,
                    LastByte = Math.Min(source.Size, first + partSize) - 1,
                    ETagToMatch = [source.ETag],
                };
                Counters.CountRequest(RequestKind.Multipart);
                var response = await _client.CopyPartAsync(request, ct).ConfigureAwait(false);
                parts[i] = new PartETag(i + 1, response.ETag);
            }).ConfigureAwait(false);
            var etag = await CompleteUploadAsync(destinationKey, uploadId, [.. parts], null, cancellationToken).ConfigureAwait(false);
            return new ObjectInfo(destinationKey, source.Size, etag, DateTimeOffset.UtcNow, replace ?? source.Metadata);
        }
        catch (Exception e)
        {
            await AbortAsync(destinationKey, uploadId).ConfigureAwait(false);
            if (e is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw Fail(e, destinationKey);
        }
    }

    private async Task<List<PartETag>> UploadPartsAsync(string key, string uploadId, IUploadSource source, long partSize, int concurrency, CancellationToken cancellationToken)
    {
        var count = (int)((source.Length + partSize - 1) / partSize);
        var parts = new PartETag[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, concurrency), CancellationToken = cancellationToken }, async (i, ct) =>
        {
            var offset = (long)i * partSize;
            parts[i] = await SendPartAsync(key, uploadId, i + 1, source, offset, Math.Min(partSize, source.Length - offset), ct).ConfigureAwait(false);
        }).ConfigureAwait(false);
        return [.. parts];
    }

    /// <summary>Begins a multipart upload; returns its id.</summary>
    private async Task<string> InitiateAsync(string key, IReadOnlyDictionary<string, string>? metadata, string contentType, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? contentHeaders = null)
    {
        var initiate = new InitiateMultipartUploadRequest { BucketName = Bucket, Key = key, ContentType = contentType };
        RepeatContentHeaders(initiate.Headers, contentHeaders ?? new Dictionary<string, string>());
        AddMetadata(initiate.Metadata, metadata);
        Counters.CountRequest(RequestKind.Multipart);
        try
        {
            return (await _client.InitiateMultipartUploadAsync(initiate, cancellationToken).ConfigureAwait(false)).UploadId;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw Fail(e, key);
        }
    }

    /// <summary>Commits the parts (in part-number order) under the caller's conditions; returns the object's ETag.</summary>
    private async Task<string> CompleteUploadAsync(string key, string uploadId, List<PartETag> parts, PutOptions? conditions, CancellationToken cancellationToken)
    {
        var complete = new CompleteMultipartUploadRequest { BucketName = Bucket, Key = key, UploadId = uploadId, PartETags = parts };
        AddConditions(conditions, (m, n) => (complete.IfMatch, complete.IfNoneMatch) = (m, n));
        Counters.CountRequest(RequestKind.Multipart);
        return (await _client.CompleteMultipartUploadAsync(complete, cancellationToken).ConfigureAwait(false)).ETag;
    }

    /// <summary>Sends one part, streamed from the source (no buffer of its own).</summary>
    private async Task<PartETag> SendPartAsync(string key, string uploadId, int partNumber, IUploadSource source, long offset, long length, CancellationToken cancellationToken)
    {
        using var body = new UploadSourceStream(source, offset, length);
        Counters.CountRequest(RequestKind.Multipart);
        var response = await _client.UploadPartAsync(new UploadPartRequest
        {
            BucketName = Bucket,
            Key = key,
            UploadId = uploadId,
            PartNumber = partNumber,
            PartSize = length,
            InputStream = body,
            UseChunkEncoding = false,
        }, cancellationToken).ConfigureAwait(false);
        Counters.AddUploaded(length);
        return new PartETag(partNumber, response.ETag);
    }

    /// <summary>A whole upload smaller than one part goes as a single PUT.</summary>
    private async Task<ObjectInfo> PutFromSourceAsync(string key, IUploadSource source, UploadOptions options, CancellationToken cancellationToken)
    {
        using var body = new UploadSourceStream(source, 0, source.Length);
        return await PutAsync(key, body, options, cancellationToken).ConfigureAwait(false);
    }

    private async Task AbortAsync(string key, string uploadId)
    {
        try
        {
            await AbortPartUploadAsync(key, uploadId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Best effort: no object was committed either way. Some emulators (s3rver) do not implement abort;
            // on real S3 a lifecycle rule removes forgotten parts.
        }
    }

    /// <summary>The part size to use: at least S3's 5 MiB, and large enough to stay within 10,000 parts.</summary>
    private long PartSizeFor(long total, long requested)
    {
        var minimumForCount = (total + Capabilities.MaxPartCount - 1) / Capabilities.MaxPartCount;
        return Math.Clamp(Math.Max(requested, minimumForCount), Capabilities.MinPartSize, Capabilities.MaxPartSize);
    }
}
