using System.Buffers;
using System.Text;
using BucketMount.Backends.Internal;

namespace BucketMount.Backends.Azure;

public sealed partial class AzureBlobObjectStore
{
    private static readonly TimeSpan CopyWait = TimeSpan.FromMinutes(10);

    public async Task<ObjectInfo> UploadAsync(string key, IUploadSource source, UploadOptions? options, CancellationToken cancellationToken)
    {
        options ??= new UploadOptions();
        Validate(key);
        var metadata = MetadataRules.Validate(options.Metadata, Description, key);
        var partSize = Math.Clamp(Math.Max(options.PartSize, (source.Length / Capabilities.MaxPartCount) + 1), 1, Capabilities.MaxPartSize);
        var count = (int)Math.Max(1, (source.Length + partSize - 1) / partSize);

        // Uncommitted blocks are never visible and the service discards them, so a failed upload leaves nothing.
        var prefix = Guid.NewGuid().ToString("N")[..8];
        var ids = Enumerable.Range(0, count).Select(i => Convert.ToBase64String(Encoding.ASCII.GetBytes($"{prefix}-{i:D6}"))).ToArray();
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Concurrency), CancellationToken = cancellationToken }, async (i, ct) =>
        {
            var offset = (long)i * partSize;
            var length = (int)Math.Min(partSize, source.Length - offset);
            var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
            try
            {
                var read = await Transfers.ReadExactlyAsync(source, offset, buffer.AsMemory(0, length), ct).ConfigureAwait(false);
                using var _ = await SendAsync(HttpMethod.Put, key, "comp=block&blockid=" + Uri.EscapeDataString(ids[i]),
                    request => request.Content = new ByteArrayContent(buffer, 0, read), RequestKind.Multipart, ct).ConfigureAwait(false);
                Counters.AddUploaded(read);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }).ConfigureAwait(false);

        var list = new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>");
        foreach (var id in ids)
        {
            list.Append("<Latest>").Append(id).Append("</Latest>");
        }

        list.Append("</BlockList>");
        using var response = await SendAsync(HttpMethod.Put, key, "comp=blocklist", request =>
        {
            request.Content = new StringContent(list.ToString(), Encoding.UTF8, "application/xml");
            request.Headers.Add("x-ms-blob-content-type", options.ContentType ?? "application/octet-stream");
            AddMetadata(request, metadata);
            AddConditions(request, options);
        }, RequestKind.Multipart, cancellationToken).ConfigureAwait(false);
        return new ObjectInfo(key, source.Length, ETagOf(response), LastModifiedOf(response), metadata ?? new Dictionary<string, string>(), options.ContentType ?? "application/octet-stream");
    }

    public async Task<ObjectInfo> CopyAsync(string sourceKey, string destinationKey, CopyOptions? options, CancellationToken cancellationToken)
    {
        Validate(sourceKey);
        Validate(destinationKey);
        var replace = MetadataRules.Validate(options?.ReplaceMetadata, Description, destinationKey);
        if (sourceKey == destinationKey && replace is not null)
        {
            // Copying a blob onto itself only to change metadata is Set Blob Metadata.
            using var _ = await SendAsync(HttpMethod.Put, destinationKey, "comp=metadata", request =>
            {
                AddMetadata(request, replace);
                if (options?.SourceIfMatch is { } etag)
                {
                    request.Headers.TryAddWithoutValidation("If-Match", etag);
                }
            }, RequestKind.Copy, cancellationToken).ConfigureAwait(false);
            return await HeadAsync(destinationKey, cancellationToken).ConfigureAwait(false)
                ?? throw new ObjectStoreException(ObjectStoreErrorKind.NotFound, "the blob disappeared during the metadata update.", Description, destinationKey);
        }

        using (var response = await SendAsync(HttpMethod.Put, destinationKey, null, request =>
        {
            request.Headers.Add("x-ms-copy-source", BuildUri(sourceKey, null).AbsoluteUri);
            AddMetadata(request, replace);
            if (options?.SourceIfMatch is { } etag)
            {
                request.Headers.Add("x-ms-source-if-match", etag);
            }
        }, RequestKind.Copy, cancellationToken).ConfigureAwait(false))
        {
            if (response.Headers.TryGetValues("x-ms-copy-status", out var status) && status.FirstOrDefault() == "pending")
            {
                await WaitForCopyAsync(destinationKey, cancellationToken).ConfigureAwait(false);
            }
        }

        if (replace is { Count: 0 })
        {
            // Copy Blob keeps the source's metadata unless some is given; "replace with none" needs its own call.
            using var _ = await SendAsync(HttpMethod.Put, destinationKey, "comp=metadata", null, RequestKind.Copy, cancellationToken).ConfigureAwait(false);
        }

        return await HeadAsync(destinationKey, cancellationToken).ConfigureAwait(false)
            ?? throw new ObjectStoreException(ObjectStoreErrorKind.NotFound, "the copy did not produce the blob.", Description, destinationKey);
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
