using System.Runtime.CompilerServices;

namespace BucketMount.Backends.Decorators;

/// <summary>
/// Makes any store unreliable on purpose, for engine and retry tests: added latency, transient failures before a
/// call reaches the store, lost responses after it did, and scripted failures of the next calls.
/// Listings can also fail part-way through, as a broken connection on a later page would. An outage
/// (<see cref="Unreachable"/>) makes every call fail as a store that went away would, until it is lifted.
/// </summary>
public sealed class FaultInjectingObjectStore : ObjectStoreDecorator
{
    private readonly FaultOptions _options;
    private readonly Random _random;
    private readonly Queue<ObjectStoreErrorKind> _scripted = new();
    private long _injected;
    private int _writeResponsesToLose;
    private long _callsWhileUnreachable;
    private volatile bool _unreachable;
    private volatile bool _stalled;

    public FaultInjectingObjectStore(IObjectStore inner, FaultOptions options)
        : base(inner)
    {
        options.Validate();
        _options = options;
        _random = new Random(options.Seed);
    }

    /// <summary>How many failures this wrapper has injected so far.</summary>
    public long InjectedFaults => Interlocked.Read(ref _injected);

    /// <summary>
    /// While true every call fails at once as Transient ("the store is unreachable"), as when the network is cut or
    /// the store is down; calls already past that check finish normally.
    /// </summary>
    public bool Unreachable
    {
        get => _unreachable;
        set => _unreachable = value;
    }

    /// <summary>
    /// While true every new call waits without an answer (until cancelled, or until this is lifted), as a store that
    /// accepts connections but never answers.
    /// </summary>
    public bool Stalled
    {
        get => _stalled;
        set => _stalled = value;
    }

    /// <summary>Calls refused because the store was <see cref="Unreachable"/>.</summary>
    public long CallsWhileUnreachable => Interlocked.Read(ref _callsWhileUnreachable);

    /// <summary>Makes each of the next <paramref name="count"/> calls fail with <paramref name="kind"/>.</summary>
    public void FailNext(int count, ObjectStoreErrorKind kind)
    {
        lock (_scripted)
        {
            for (var i = 0; i < count; i++)
            {
                _scripted.Enqueue(kind);
            }
        }
    }

    /// <summary>
    /// Loses the answer to each of the next <paramref name="count"/> calls that write an object (put, upload, copy,
    /// completion of an upload in parts) after the store acted, as a connection cut at the wrong time does.
    /// </summary>
    public void LoseNextWriteResponses(int count) => Interlocked.Add(ref _writeResponsesToLose, count);

    /// <summary>How many of those answers are still to be lost.</summary>
    public int WriteResponsesToLose => Volatile.Read(ref _writeResponsesToLose);

    public override Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken) =>
        RunAsync(key, ct => Inner.HeadAsync(key, ct), cancellationToken);

    public override Task<SmallObject?> GetSmallAsync(string key, int maxBytes, CancellationToken cancellationToken) =>
        RunAsync(key, ct => Inner.GetSmallAsync(key, maxBytes, ct), cancellationToken);

    public override Task<int> ReadAsync(string key, long offset, Memory<byte> buffer, ReadOptions? options, CancellationToken cancellationToken) =>
        RunAsync(key, ct => Inner.ReadAsync(key, offset, buffer, options, ct), cancellationToken);

    public override Task<long> ReadToAsync(string key, long offset, long? length, Stream destination, ReadOptions? options, CancellationToken cancellationToken) =>
        RunAsync(key, ct => Inner.ReadToAsync(key, offset, length, destination, options, ct), cancellationToken);

    public override Task<ObjectInfo> PutAsync(string key, Stream content, PutOptions? options, CancellationToken cancellationToken) =>
        RunAsync(key, ct => Inner.PutAsync(key, content, options, ct), cancellationToken, writes: true);

    public override Task<ObjectInfo> UploadAsync(string key, IUploadSource source, UploadOptions? options, CancellationToken cancellationToken) =>
        RunAsync(key, ct => Inner.UploadAsync(key, source, options, ct), cancellationToken, writes: true);

    public override async Task<IPartUpload?> BeginPartUploadAsync(string key, PutOptions options, CancellationToken cancellationToken) =>
        await RunAsync(key, ct => Inner.BeginPartUploadAsync(key, options, ct), cancellationToken).ConfigureAwait(false) is { } upload
            ? new FaultyPartUpload(upload, this)
            : null;

    public override Task AbortPartUploadAsync(string key, string uploadId, CancellationToken cancellationToken) =>
        RunAsync(key, async ct =>
        {
            await Inner.AbortPartUploadAsync(key, uploadId, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    public override Task<ObjectInfo> CopyAsync(string sourceKey, string destinationKey, CopyOptions? options, CancellationToken cancellationToken) =>
        RunAsync(destinationKey, ct => Inner.CopyAsync(sourceKey, destinationKey, options, ct), cancellationToken, writes: true);

    public override Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        RunAsync(key, async ct =>
        {
            await Inner.DeleteAsync(key, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    public override Task<IReadOnlyList<DeleteFailure>> DeleteManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken) =>
        RunAsync(null, ct => Inner.DeleteManyAsync(keys, ct), cancellationToken);

    public override async IAsyncEnumerable<ListEntry> ListAsync(string prefix, string? delimiter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await BeforeCallAsync(prefix, cancellationToken).ConfigureAwait(false);
        var seen = 0;
        await foreach (var entry in Inner.ListAsync(prefix, delimiter, cancellationToken).ConfigureAwait(false))
        {
            // A later page can fail too: roll again every hundred entries.
            if (++seen % 100 == 0 && Roll(_options.TransientFailureRate))
            {
                throw Inject(ObjectStoreErrorKind.Transient, prefix);
            }

            yield return entry;
        }
    }

    private async Task<T> RunAsync<T>(string? key, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken, bool writes = false)
    {
        await BeforeCallAsync(key, cancellationToken).ConfigureAwait(false);
        var result = await call(cancellationToken).ConfigureAwait(false);
        if ((writes && TakeWriteResponseToLose()) || Roll(_options.LostResponseRate))
        {
            throw Inject(ObjectStoreErrorKind.Transient, key, "the response was lost after the store acted");
        }

        return result;
    }

    private async Task BeforeCallAsync(string? key, CancellationToken cancellationToken)
    {
        if (_options.Latency > TimeSpan.Zero)
        {
            await Task.Delay(_options.Latency, cancellationToken).ConfigureAwait(false);
        }

        while (_stalled)
        {
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }

        if (_unreachable)
        {
            Interlocked.Increment(ref _callsWhileUnreachable);
            throw Inject(ObjectStoreErrorKind.Transient, key, "the store is unreachable (connection refused)");
        }

        ObjectStoreErrorKind? scripted = null;
        lock (_scripted)
        {
            if (_scripted.Count > 0)
            {
                scripted = _scripted.Dequeue();
            }
        }

        if (scripted is { } kind)
        {
            throw Inject(kind, key);
        }

        if (Roll(_options.TransientFailureRate))
        {
            throw Inject(ObjectStoreErrorKind.Transient, key);
        }
    }

    private bool TakeWriteResponseToLose()
    {
        while (true)
        {
            var left = Volatile.Read(ref _writeResponsesToLose);
            if (left <= 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _writeResponsesToLose, left - 1, left) == left)
            {
                return true;
            }
        }
    }

    private bool Roll(double rate)
    {
        if (rate <= 0)
        {
            return false;
        }

        lock (_random)
        {
            return _random.NextDouble() < rate;
        }
    }

    private ObjectStoreException Inject(ObjectStoreErrorKind kind, string? key, string what = "injected fault")
    {
        Interlocked.Increment(ref _injected);
        return new ObjectStoreException(kind, what + " (fault-injection wrapper)", Description, key);
    }

    /// <summary>Parts and completion fail and wait like every other call.</summary>
    private sealed class FaultyPartUpload(IPartUpload inner, FaultInjectingObjectStore store) : PartUploadDecorator(inner)
    {
        public override Task UploadPartAsync(int partNumber, IUploadSource source, long offset, long length, CancellationToken cancellationToken) =>
            store.RunAsync(Key, async ct =>
            {
                await Inner.UploadPartAsync(partNumber, source, offset, length, ct).ConfigureAwait(false);
                return true;
            }, cancellationToken);

        public override Task<ObjectInfo> CompleteAsync(long length, CancellationToken cancellationToken) =>
            store.RunAsync(Key, ct => Inner.CompleteAsync(length, ct), cancellationToken, writes: true);
    }
}
