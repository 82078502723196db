using System.Buffers;
using BucketMount.Backends.Internal;
using Microsoft.Win32.SafeHandles;

namespace BucketMount.Backends.Local;

/// <summary>Writes an upload source into a file in parallel parts, the local store's equivalent of multipart.</summary>
internal static class LocalParallelWriter
{
    /// <summary>Returns the number of parts written.</summary>
    public static async Task<int> WriteAsync(SafeFileHandle handle, IUploadSource source, UploadOptions options, StoreCounters counters, CancellationToken cancellationToken)
    {
        var partSize = (int)Math.Clamp(options.PartSize, 64 * 1024, 64L * 1024 * 1024);
        var partCount = (int)Math.Max(1, (source.Length + partSize - 1) / partSize);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Concurrency), CancellationToken = cancellationToken };
        await Parallel.ForAsync(0, partCount, parallel, async (part, ct) =>
        {
            var offset = (long)part * partSize;
            var length = (int)Math.Min(partSize, source.Length - offset);
            var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
            try
            {
                await Transfers.ReadExactlyAsync(source, offset, buffer.AsMemory(0, length), ct).ConfigureAwait(false);
                await RandomAccess.WriteAsync(handle, buffer.AsMemory(0, length), offset, ct).ConfigureAwait(false);
                counters.CountRequest(RequestKind.Multipart);
                counters.AddUploaded(length);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }).ConfigureAwait(false);
        return partCount;
    }
}
