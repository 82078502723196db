using BucketMount.Backends;
using BucketMount.Engine.Caching;

namespace BucketMount.Engine.Reading;

/// <summary>
/// Consecutive blocks fetched with one ranged GET: the response streams through this (as the GET's destination)
/// and is cut into cache blocks, each handed to its waiters the moment it is complete, so a reader waiting for
/// the run's first block does not wait for its last.
/// </summary>
internal sealed class BlockRun : Stream
{
    private readonly IReadOnlyList<(BlockKey Key, TaskCompletionSource<BlockView> Done)> _blocks;
    private readonly Func<BlockKey, Block> _newBlock;
    private readonly Action<BlockKey, BlockView> _store;
    private readonly Action<Block> _discard;
    private int _current;
    private int _filled;
    private Block? _buffer;

    public BlockRun(IReadOnlyList<(BlockKey Key, TaskCompletionSource<BlockView> Done)> blocks, Func<BlockKey, Block> newBlock,
        Action<BlockKey, BlockView> store, Action<Block> discard)
    {
        _blocks = blocks;
        _newBlock = newBlock;
        _store = store;
        _discard = discard;
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>True once every block of the run was received whole.</summary>
    public bool Complete => _current == _blocks.Count;

    public override void Write(ReadOnlySpan<byte> data)
    {
        while (data.Length > 0)
        {
            if (_current >= _blocks.Count)
            {
                throw new ObjectStoreException(ObjectStoreErrorKind.PreconditionFailed, "the store sent more bytes than the range asked for.", null, _blocks[0].Key.Version.Key);
            }

            var (key, done) = _blocks[_current];
            _buffer ??= _newBlock(key);
            var take = Math.Min(data.Length, _buffer.Length - _filled);
            data[..take].CopyTo(_buffer.Data.AsSpan(_filled));
            _filled += take;
            data = data[take..];
            if (_filled == _buffer.Length)
            {
                var filled = _buffer.View();
                _store(key, filled);
                done.TrySetResult(filled);
                _buffer = null;
                _filled = 0;
                _current++;
            }
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    /// <summary>Fails every block not yet delivered (a short or failed response), so no waiter hangs.</summary>
    public void FailRest(Exception error)
    {
        // The block being received when the GET broke goes back to the memory cache, whose budget counts it.
        if (_buffer is { } unfinished)
        {
            _buffer = null;
            _discard(unfinished);
        }

        for (var i = _current; i < _blocks.Count; i++)
        {
            _blocks[i].Done.TrySetException(error);
        }
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
