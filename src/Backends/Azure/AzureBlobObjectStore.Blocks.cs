using System.Buffers;
using System.Text;
using BucketMount.Backends.Internal;

namespace BucketMount.Backends.Azure;

public sealed partial class AzureBlobObjectStore
{
    /// <summary>A block in flight is one pooled array, so blocks stay within 1 GiB (50,000 of them still make 48 TiB).</summary>
    private const long MaxBlockBuffer = 1L << 30;

    public async Task<ObjectInfo> UploadAsync(string key, IUploadSource source, UploadOptions? options, CancellationToken cancellationToken)
    {
        options ??= new UploadOptions();
        Validate(key);
        var metadata = MetadataRules.Validate(options.Metadata, Description, key);
        var partSize = Math.Clamp(Math.Max(options.PartSize, (source.Length + Capabilities.MaxPartCount - 1) / Capabilities.MaxPartCount), 1,
            Math.Min(Capabilities.MaxPartSize, MaxBlockBuffer));
        if ((source.Length + partSize - 1) / partSize > Capabilities.MaxPartCount)
        {
            throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument,
                $"{source.Length} bytes need more than {Capabilities.MaxPartCount} blocks of at most {partSize} bytes.", Description, key);
        }

        // An empty source has no blocks: committing the empty block list creates an empty blob (Azure refuses empty blocks).
        var count = (int)((source.Length + partSize - 1) / partSize);

        // Uncommitted blocks are never visible and the service discards them, so a failed upload leaves nothing.
        var prefix = Guid.NewGuid().ToString("N")[..8];
        var ids = Enumerable.Range(0, count).Select(i => Convert.ToBase64String(Encoding.ASCII.GetBytes($"{prefix}-{i:D6}"))).ToArray();
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Concurrency), CancellationToken = cancellationToken }, async (i, ct) =>
        {
            var offset = (long)i * partSize;
            var length = (int)Math.Min(partSize, source.Length - offset);
            var buffer = ArrayPool<byte>.Shared.Rent(length);
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
}
