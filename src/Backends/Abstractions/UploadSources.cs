using Microsoft.Win32.SafeHandles;

namespace BucketMount.Backends;

/// <summary>An upload read from a file by positional reads; the caller owns the handle.</summary>
public sealed class FileUploadSource(SafeFileHandle handle, long length) : IUploadSource
{
    public long Length { get; } = length;

    public static FileUploadSource Open(SafeFileHandle handle) => new(handle, RandomAccess.GetLength(handle));

    public async ValueTask<int> ReadAtAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < buffer.Length && offset + total < Length)
        {
            var read = await RandomAccess.ReadAsync(handle, buffer[total..], offset + total, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    public int ReadAt(long offset, Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length && offset + total < Length)
        {
            var read = RandomAccess.Read(handle, buffer[total..], offset + total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }
}

/// <summary>An upload held in memory (tests, small benchmarks).</summary>
public sealed class MemoryUploadSource(ReadOnlyMemory<byte> data) : IUploadSource
{
    public long Length => data.Length;

    public ValueTask<int> ReadAtAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(ReadAt(offset, buffer.Span));
    }

    public int ReadAt(long offset, Span<byte> buffer)
    {
        if (offset >= data.Length)
        {
            return 0;
        }

        var slice = data.Span.Slice((int)offset, (int)Math.Min(buffer.Length, data.Length - offset));
        slice.CopyTo(buffer);
        return slice.Length;
    }
}
