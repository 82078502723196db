using BucketMount.Engine.Caching;

namespace BucketMount.Engine.Reading;

/// <summary>
/// One open-ended ranged GET ("bytes=N-") feeding a sequential reader's blocks: the response is the GET's
/// destination and is cut into cache blocks, but read only as far as the reader's read-ahead window allows (TCP
/// holds the rest back at the store), so a whole file costs one request, as rclone's streaming reader does,
/// while memory stays bounded by the window. It ends, closing the connection, when the reader moves elsewhere
/// or closes, when it reaches a block that is cached or fetched already, or after <see cref="IdleTimeout"/>
/// without the reader moving on. A block it was receiving when it ended is fetched on its own, so its waiters
/// get the store's answer, never the stream's end. In whole-range mode (<see cref="StartWholeRange"/>) it is a
/// bounded GET that claims every block of its range at once, runs unpaced to the range's end and passes over
/// blocks someone else has, so a random reader's reads wait for it instead of sending GETs of their own.
/// </summary>
internal sealed class SequentialStream : Stream
{
    /// <summary>How long a paused reader keeps its connection open; stores drop idle connections after a while anyway.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(10);

    private readonly BlockFetcher _fetcher;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _windowMoved = new(0, 1);
    private readonly long _lastBlock;
    private readonly bool _wholeRange;
    private long _next;
    private long _allowedThrough;
    private Block? _buffer;
    private int _filled;
    private TaskCompletionSource<BlockView>? _claim;

    // Blocks after the one being received that a reader is waiting for already, claimed by the reader's call so
    // its own fetch does not race the stream for them; guarded by itself.
    private readonly Queue<(long Index, TaskCompletionSource<BlockView> Claim)> _claimedAhead = new();

    private SequentialStream(BlockFetcher fetcher, ObjectVersion version, long first, long allowedThrough, long? rangeLast = null)
    {
        _fetcher = fetcher;
        _wholeRange = rangeLast is not null;
        Version = version;
        _next = first;
        _allowedThrough = allowedThrough;
        _lastBlock = rangeLast ?? (version.Size - 1) / fetcher.BlockSize;
        Finished = Task.CompletedTask;
    }

    public ObjectVersion Version { get; }

    /// <summary>Completes, never faulting, once the GET is over.</summary>
    public Task Finished { get; private set; }

    /// <summary>The block the stream delivers next.</summary>
    public long NextBlock => Interlocked.Read(ref _next);

    public bool IsRunning => !Finished.IsCompleted;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Starts streaming from block <paramref name="first"/>, delivering blocks up to <paramref name="allowedThrough"/> for now.</summary>
    public static SequentialStream Start(BlockFetcher fetcher, ObjectVersion version, long first, long allowedThrough)
    {
        var stream = new SequentialStream(fetcher, version, first, allowedThrough);
        stream.Finished = stream.RunAsync();
        return stream;
    }

    /// <summary>
    /// Streams blocks <paramref name="first"/> to <paramref name="last"/> with one bounded GET, claiming every
    /// block not cached or fetched already, so a random reader waits for the stream rather than sending a GET per
    /// block.
    /// </summary>
    public static SequentialStream StartWholeRange(BlockFetcher fetcher, ObjectVersion version, long first, long last)
    {
        var stream = new SequentialStream(fetcher, version, first, last, rangeLast: last);
        stream.ClaimThrough(last);
        stream.Finished = stream.RunAsync();
        return stream;
    }

    /// <summary>True when the stream is running on this version and its next block lies in the reader's window.</summary>
    public bool Serves(ObjectVersion version, long readerFirst, long windowLast) =>
        IsRunning && version == Version && NextBlock >= readerFirst && NextBlock <= windowLast + 1;

    /// <summary>
    /// Claims for the stream the blocks up to <paramref name="last"/> that a reader is about to wait for, so they
    /// come from the stream and not from GETs of their own. Stops at a block cached or fetched by someone else.
    /// </summary>
    public void ClaimThrough(long last)
    {
        lock (_claimedAhead)
        {
            var from = _claimedAhead.Count > 0 ? _claimedAhead.Last().Index + 1 : Interlocked.Read(ref _next) + (_buffer is null ? 0 : 1);
            for (var index = from; index <= Math.Min(last, _lastBlock); index++)
            {
                if (_fetcher.TryClaim(new BlockKey(Version, index)) is { } claim)
                {
                    _claimedAhead.Enqueue((index, claim));
                }
                else if (!_wholeRange)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Lets the stream deliver blocks up to <paramref name="through"/> (the reader's window moved on).</summary>
    public void Allow(long through)
    {
        long seen;
        while ((seen = Interlocked.Read(ref _allowedThrough)) < through)
        {
            if (Interlocked.CompareExchange(ref _allowedThrough, through, seen) == seen)
            {
                break;
            }
        }

        if (_windowMoved.CurrentCount == 0)
        {
            try
            {
                _windowMoved.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another Allow signalled first; one signal is enough for the one waiter.
            }
        }
    }

    /// <summary>Ends the GET (the connection closes); safe to call more than once.</summary>
    public void Stop()
    {
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            if (_buffer is null)
            {
                await BeginBlockAsync().ConfigureAwait(false);
            }

            var block = _buffer!;
            var take = Math.Min(buffer.Length, block.Length - _filled);
            buffer.Span[..take].CopyTo(block.Data.AsSpan(_filled));
            _filled += take;
            buffer = buffer[take..];
            if (_filled == block.Length)
            {
                // Move on before delivering: the reader woken by this block reads the next one at once, and must
                // find the stream already past this one (or it takes the stream for one that fell behind, ends
                // it and sends GETs of its own).
                TaskCompletionSource<BlockView>? claim;
                long index;
                lock (_claimedAhead)
                {
                    claim = _claim;
                    index = Interlocked.Increment(ref _next) - 1;
                    _claim = null;
                    _buffer = null;
                }

                // No claim: a whole-range stream passing over a block someone else has; its bytes are dropped.
                if (claim is not null)
                {
                    _fetcher.Deliver(new BlockKey(Version, index), block, claim);
                }
                else
                {
                    _fetcher.Discard(block);
                }
            }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("the GET writes asynchronously");

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Stop();
        }

        base.Dispose(disposing);
    }

    /// <summary>Waits until the window reaches the next block, then claims it; ends the stream when it cannot.</summary>
    private async Task BeginBlockAsync()
    {
        var token = _stop.Token;
        while (Interlocked.Read(ref _next) > Interlocked.Read(ref _allowedThrough))
        {
            if (!await _windowMoved.WaitAsync(IdleTimeout, token).ConfigureAwait(false))
            {
                Stop();
            }

            token.ThrowIfCancellationRequested();
        }

        var key = new BlockKey(Version, _next);
        lock (_claimedAhead)
        {
            _claim = _claimedAhead.TryPeek(out var ahead) && ahead.Index == _next ? _claimedAhead.Dequeue().Claim
                : _next > _lastBlock ? null : _fetcher.TryClaim(key);
            if ((_claim is not null || _wholeRange) && _next <= _lastBlock)
            {
                // In the same lock as the claim: a reader claiming ahead meanwhile must see this block as taken,
                // or it stops at it and fetches the block after it with a GET of its own.
                _filled = 0;
                _buffer = _fetcher.NewBlock(key);
                return;
            }
        }

        // Past the end (the object changed) or someone else has this block: stop rather than download it twice.
        Stop();
        token.ThrowIfCancellationRequested();
    }

    private async Task RunAsync()
    {
        await Task.Yield();
        try
        {
            await _fetcher.StreamAsync(Version, _next, _wholeRange ? _lastBlock + 1 : null, this, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Stopped, or the connection failed: whatever was delivered stays cached; the rest is fetched on demand.
        }
        finally
        {
            lock (_claimedAhead)
            {
                // A block the GET ended in the middle of goes back to the memory cache, whose budget counts it.
                if (_buffer is { } unfinished)
                {
                    _buffer = null;
                    _fetcher.Discard(unfinished);
                }

                if (_claim is { } claim)
                {
                    _ = _fetcher.FetchClaimedAsync(new BlockKey(Version, _next), claim);
                    _claim = null;
                }

                // Claimed for readers who may be waiting: they get GETs of their own, a few at a time (a whole-range
                // stream that broke early holds many).
                var handBack = _claimedAhead.ToList();
                _claimedAhead.Clear();
                _ = Parallel.ForEachAsync(handBack, new ParallelOptions { MaxDegreeOfParallelism = 8 },
                    (ahead, _) => new ValueTask(_fetcher.FetchClaimedAsync(new BlockKey(Version, ahead.Index), ahead.Claim)));
            }

            _stop.Dispose();
        }
    }
}
