namespace BucketMount.Backends.Decorators;

/// <summary>
/// The stall timer of one try of an upload: every read of its body re-arms it, so only a try that stops sending
/// (the store accepts the connection but takes no more bytes, or never answers after the last one) is abandoned.
/// </summary>
internal sealed class StallWatch : IDisposable
{
    private readonly CancellationTokenSource _timer;
    private readonly TimeSpan _stall;

    public StallWatch(TimeSpan stall, CancellationToken cancellationToken)
    {
        _stall = stall;
        _timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _timer.CancelAfter(stall);
    }

    public CancellationToken Token => _timer.Token;

    public bool Stalled => _timer.IsCancellationRequested;

    public void Progressed()
    {
        try
        {
            _timer.CancelAfter(_stall);
        }
        catch (ObjectDisposedException)
        {
            // A late read of an abandoned try.
        }
    }

    public IUploadSource Watch(IUploadSource source) => new WatchedSource(source, this);

    public Stream Watch(Stream body) => new WatchedStream(body, this);

    public void Dispose() => _timer.Dispose();

    private sealed class WatchedSource(IUploadSource inner, StallWatch watch) : IUploadSource
    {
        public long Length => inner.Length;

        public async ValueTask<int> ReadAtAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
        {
            var read = await inner.ReadAtAsync(offset, buffer, cancellationToken).ConfigureAwait(false);
            watch.Progressed();
            return read;
        }

        public int ReadAt(long offset, Span<byte> buffer)
        {
            var read = inner.ReadAt(offset, buffer);
            watch.Progressed();
            return read;
        }
    }

    /// <summary>A seekable body that reports its reads; seeking and length pass through (a retry rewinds it).</summary>
    private sealed class WatchedStream(Stream inner, StallWatch watch) : Stream
    {
        public override bool CanRead => inner.CanRead;

        public override bool CanSeek => inner.CanSeek;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position
        {
            get => inner.Position;
            set => inner.Position = value;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var read = inner.Read(buffer);
            watch.Progressed();
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            watch.Progressed();
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
