using BucketMount.Backends;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BucketMount.Engine;

/// <summary>
/// Whether the store answers, as the mount last saw it. A request that failed for a passing reason (transient,
/// throttled: connection refused, timeout, 5xx) after the store decorator's retries marks it unreachable; from
/// then on a probe (one HEAD, bounded by <see cref="ProbeTimeout"/>) asks every second or few whether it is back,
/// and the first answer of any kind, or any successful upload, marks it reachable and wakes every upload waiting
/// to retry, so uploads resume within seconds of the store's return instead of after their back-off.
/// While unreachable, lookups and listings the mount already knows are answered from what it knows.
/// </summary>
internal sealed partial class StoreHealth : IDisposable
{
    /// <summary>Longest wait for one probe's answer: a store that accepts connections but never answers fails the probe.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Longest pause between probes while the store is away.</summary>
    public static readonly TimeSpan MaxProbeInterval = TimeSpan.FromSeconds(5);

    /// <summary>The key the probe HEADs: whether it exists does not matter, only that the store answers.</summary>
    public const string ProbeKey = ".bucketmount-probe";

    private static readonly Task Never = new TaskCompletionSource().Task;
    private readonly IObjectStore _store;
    private readonly ILogger _logger;
    private readonly TimeSpan _firstProbeInterval;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private TaskCompletionSource _recovered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _unreachable;
    private string? _lastError;
    private DateTimeOffset _since;
    private long _answers;

    public StoreHealth(IObjectStore store, ILogger? logger = null, TimeSpan? firstProbeInterval = null)
    {
        _store = store;
        _logger = logger ?? NullLogger.Instance;
        _firstProbeInterval = firstProbeInterval ?? TimeSpan.FromSeconds(1);
    }

    /// <summary>True from a request that failed for a passing reason until the store answers again.</summary>
    public bool IsUnreachable
    {
        get
        {
            lock (_gate)
            {
                return _unreachable;
            }
        }
    }

    /// <summary>
    /// How many times the store has answered so far (each successful upload or probe, each refusal): an upload that keeps
    /// failing for a passing reason while this grows is failing on its own key, not because the store is away.
    /// </summary>
    public long Answers => Interlocked.Read(ref _answers);

    /// <summary>The last failure that made or kept the store unreachable (null while it answers).</summary>
    public string? LastError
    {
        get
        {
            lock (_gate)
            {
                return _unreachable ? _lastError : null;
            }
        }
    }

    /// <summary>
    /// Completes when the store next becomes reachable after being unreachable; never, while it is reachable (a
    /// single failed upload of a reachable store waits out its own pause instead of retrying in a loop).
    /// </summary>
    public Task NextRecovery
    {
        get
        {
            lock (_gate)
            {
                return _unreachable ? _recovered.Task : Never;
            }
        }
    }

    /// <summary>Records a failed request: one that may pass marks the store unreachable and starts the probe.</summary>
    public void OnFailure(ObjectStoreException error)
    {
        if (!error.IsRetryable)
        {
            // The store answered (access denied, invalid argument...): it is there.
            OnSuccess();
            return;
        }

        lock (_gate)
        {
            _lastError = error.Message;
            if (_unreachable || _stop.IsCancellationRequested)
            {
                return;
            }

            _unreachable = true;
            _since = DateTimeOffset.UtcNow;
            _recovered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        LogUnreachable(_logger, error.Message);
        _ = Task.Run(ProbeAsync);
    }

    /// <summary>Records that the store answered.</summary>
    public void OnSuccess()
    {
        Interlocked.Increment(ref _answers);
        TaskCompletionSource recovered;
        TimeSpan away;
        lock (_gate)
        {
            if (!_unreachable)
            {
                return;
            }

            _unreachable = false;
            recovered = _recovered;
            away = DateTimeOffset.UtcNow - _since;
        }

        LogReachable(_logger, (long)away.TotalSeconds);
        recovered.TrySetResult();
    }

    public void Dispose()
    {
        _stop.Cancel();
        lock (_gate)
        {
            _recovered.TrySetResult();
        }
    }

    private async Task ProbeAsync()
    {
        var interval = _firstProbeInterval;
        while (IsUnreachable && !_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, _stop.Token).ConfigureAwait(false);
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                attempt.CancelAfter(ProbeTimeout);
                await _store.HeadAsync(ProbeKey, attempt.Token).ConfigureAwait(false);
                OnSuccess();
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException)
            {
                // No answer within the probe timeout: still away.
            }
            catch (ObjectStoreException e)
            {
                OnFailure(e);
            }

            interval = TimeSpan.FromTicks(Math.Min(interval.Ticks * 2, MaxProbeInterval.Ticks));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "the store is unreachable ({Reason}); changes stay in the cache and uploads resume when it answers again")]
    private static partial void LogUnreachable(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "the store answers again after {Seconds} s; pending uploads resume")]
    private static partial void LogReachable(ILogger logger, long seconds);
}
