namespace BucketMount.Backends.Azure;

/// <summary>
/// Server-side copy (Copy Blob, polled while the service reports it pending) and in-place changes of metadata and
/// content type (Set Blob Metadata / Set Blob Properties).
/// </summary>
public sealed partial class AzureBlobObjectStore
{
    private static readonly TimeSpan CopyWait = TimeSpan.FromMinutes(10);

    public async Task<ObjectInfo> CopyAsync(string sourceKey, string destinationKey, CopyOptions? options, CancellationToken cancellationToken)
    {
        Validate(sourceKey);
        Validate(destinationKey);
        var replace = MetadataRules.Validate(options?.ReplaceMetadata, Description, destinationKey);
        if (sourceKey == destinationKey)
        {
            return await UpdateInPlaceAsync(destinationKey, replace, options, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            using var response = await SendAsync(HttpMethod.Put, destinationKey, null, request =>
            {
                request.Headers.Add("x-ms-copy-source", BuildUri(sourceKey, null).AbsoluteUri);
                AddMetadata(request, replace);
                if (options?.SourceIfMatch is { } etag)
                {
                    request.Headers.Add("x-ms-source-if-match", etag);
                }
            }, RequestKind.Copy, cancellationToken).ConfigureAwait(false);
            if (response.Headers.TryGetValues("x-ms-copy-status", out var status) && status.FirstOrDefault() == "pending")
            {
                await WaitForCopyAsync(destinationKey, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (ObjectStoreException e) when (e.Kind == ObjectStoreErrorKind.NotFound && !e.Message.Contains("ContainerNotFound", StringComparison.Ordinal))
        {
            // The 404 of a copy is about its source (a missing destination is simply created).
            throw new ObjectStoreException(ObjectStoreErrorKind.NotFound, $"the copy source does not exist; nothing was copied to '{destinationKey}'.", Description, sourceKey, e);
        }

        if (replace is { Count: 0 })
        {
            // Copy Blob keeps the source's metadata unless some is given; "replace with none" needs its own call.
            await SetMetadataAsync(destinationKey, replace, null, cancellationToken).ConfigureAwait(false);
        }

        if (options?.ContentType is { } contentType)
        {
            await SetContentTypeAsync(destinationKey, contentType, null, cancellationToken).ConfigureAwait(false);
        }

        return await HeadAsync(destinationKey, cancellationToken).ConfigureAwait(false)
            ?? throw new ObjectStoreException(ObjectStoreErrorKind.NotFound, "the copy did not produce the blob.", Description, destinationKey);
    }

    /// <summary>A blob copied onto itself keeps its bytes: only metadata (Set Blob Metadata) and content type (Set Blob Properties) change.</summary>
    private async Task<ObjectInfo> UpdateInPlaceAsync(string key, IReadOnlyDictionary<string, string>? metadata, CopyOptions? options, CancellationToken cancellationToken)
    {
        if (metadata is not null)
        {
            await SetMetadataAsync(key, metadata, options?.SourceIfMatch, cancellationToken).ConfigureAwait(false);
        }

        if (options?.ContentType is { } contentType)
        {
            // The first call checks the source's ETag; the second would see the one the first made.
            await SetContentTypeAsync(key, contentType, metadata is null ? options.SourceIfMatch : null, cancellationToken).ConfigureAwait(false);
        }

        var info = await HeadAsync(key, cancellationToken).ConfigureAwait(false)
            ?? throw new ObjectStoreException(ObjectStoreErrorKind.NotFound, "the copy source is missing.", Description, key);
        if (metadata is null && options?.ContentType is null && options?.SourceIfMatch is { } expected && expected != info.ETag)
        {
            throw new ObjectStoreException(ObjectStoreErrorKind.PreconditionFailed, "the blob changed since it was read (source If-Match failed).", Description, key);
        }

        return info;
    }

    private async Task SetMetadataAsync(string key, IReadOnlyDictionary<string, string> metadata, string? ifMatch, CancellationToken cancellationToken)
    {
        using var _ = await SendAsync(HttpMethod.Put, key, "comp=metadata", request =>
        {
            AddMetadata(request, metadata);
            if (ifMatch is not null)
            {
                request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
            }
        }, RequestKind.Copy, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Set Blob Properties; it clears the other content headers, which this store never sets.</summary>
    private async Task SetContentTypeAsync(string key, string contentType, string? ifMatch, CancellationToken cancellationToken)
    {
        using var _ = await SendAsync(HttpMethod.Put, key, "comp=properties", request =>
        {
            request.Headers.Add("x-ms-blob-content-type", contentType);
            if (ifMatch is not null)
            {
                request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
            }
        }, RequestKind.Copy, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Polls a cross-server copy until the service reports it done (bounded).</summary>
    private async Task WaitForCopyAsync(string key, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + CopyWait;
        var delay = TimeSpan.FromMilliseconds(100);
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            using var response = await SendAsync(HttpMethod.Head, key, null, null, RequestKind.Head, cancellationToken).ConfigureAwait(false);
            var status = response.Headers.TryGetValues("x-ms-copy-status", out var values) ? values.FirstOrDefault() : "success";
            if (status == "success")
            {
                return;
            }

            if (status is "failed" or "aborted")
            {
                throw new ObjectStoreException(ObjectStoreErrorKind.Transient, $"the service's copy {status}.", Description, key);
            }

            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
        }

        throw new ObjectStoreException(ObjectStoreErrorKind.Transient, $"the service's copy did not finish within {CopyWait.TotalMinutes} minutes.", Description, key);
    }
}
