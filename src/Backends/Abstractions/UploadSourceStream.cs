namespace BucketMount.Backends;

/// <summary>
/// A seekable, read-only window of an upload source, sent as a request body (a PUT, a part) straight from the
/// source (a staging file) rather than copied into a buffer first, and rewound for a retry. With four 8 MiB parts
/// in flight per upload, those buffers were 32 MiB per large upload that the array pool then kept for good. Reads
/// fail, rather than come up short, when the source holds less than it said.
/// </summary>
public sealed class UploadSourceStream(IUploadSource source, long start, long length) : Stream
{
    private long _position;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => _position = Math.Clamp(value, 0, length);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var wanted = Wanted(buffer.Length);
        return wanted == 0 ? 0 : Advance(source.ReadAt(start + _position, buffer[..wanted]));
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var wanted = Wanted(buffer.Length);
        return wanted == 0 ? 0 : Advance(await source.ReadAtAsync(start + _position, buffer[..wanted], cancellationToken).ConfigureAwait(false));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => length + offset,
    };

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Wanted(int room) => (int)Math.Min(room, length - _position);

    private int Advance(int read)
    {
        if (read == 0)
        {
            throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument, $"the upload source ended at byte {start + _position} but said it holds {source.Length}.");
        }

        _position += read;
        return read;
    }
}
