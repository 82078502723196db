using System.Buffers;
using System.Security.Cryptography;

namespace BucketMount.Backends.Internal;

/// <summary>Stream helpers shared by stores that hold bytes themselves (memory, local folder).</summary>
public static class StreamCopy
{
    private const int ChunkSize = 128 * 1024;

    /// <summary>Copies a stream to a destination while computing its MD5, with a pooled buffer; returns the bytes copied and the hex MD5.</summary>
    public static async Task<(long Length, string Md5Hex)> CopyWithMd5Async(Stream source, Stream destination, CancellationToken cancellationToken)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            long total = 0;
            int read;
            while ((read = await source.ReadAsync(buffer.AsMemory(0, ChunkSize), cancellationToken).ConfigureAwait(false)) > 0)
            {
                md5.AppendData(buffer, 0, read);
                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                total += read;
            }

            return (total, Convert.ToHexStringLower(md5.GetHashAndReset()));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Copies an upload source to a stream in order, with a pooled buffer, computing its MD5.</summary>
    public static async Task<string> CopyWithMd5Async(IUploadSource source, Stream destination, CancellationToken cancellationToken)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            long offset = 0;
            while (offset < source.Length)
            {
                var read = await source.ReadAtAsync(offset, buffer.AsMemory(0, ChunkSize), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument,
                        $"the upload source ended at byte {offset} but said it holds {source.Length}.");
                }

                md5.AppendData(buffer, 0, read);
                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                offset += read;
            }

            return Convert.ToHexStringLower(md5.GetHashAndReset());
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
