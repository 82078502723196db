namespace BucketMount.Backends.Decorators;

/// <summary>
/// Bounded retries with exponential backoff and full jitter, for throttled and transient failures only.
/// A 4xx-class error (not found, access denied, precondition, invalid argument) is never retried.
/// </summary>
public sealed record RetryPolicy
{
    public static readonly RetryPolicy Default = new();

    /// <summary>Tries in all, the first included.</summary>
    public int MaxAttempts { get; init; } = 6;

    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Throttling waits longer: the store asked us to slow down.</summary>
    public double ThrottleMultiplier { get; init; } = 4;

    /// <summary>
    /// Longest wait for the answer to one try of a request without a body (HEAD, LIST page, DELETE, a small GET):
    /// a store that accepts connections but never answers must not hold a reader for minutes.
    /// </summary>
    public TimeSpan MetadataAttemptTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Longest time a download may go without receiving a byte before the try is abandoned (and retried from where
    /// it stopped). A stall timeout, not a whole-transfer one, so a large transfer on a slow link is never cut.
    /// </summary>
    public TimeSpan BodyStallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Tries that ended without an answer, at most, before the request fails (each one costs a whole timeout).</summary>
    public int MaxTimedOutAttempts { get; init; } = 2;

    public void Validate()
    {
        if (MaxAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "retry attempts must be at least 1 (1 means no retries).");
        }

        if (BaseDelay < TimeSpan.Zero || MaxDelay < BaseDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(BaseDelay), BaseDelay, "retry delays must satisfy 0 <= base delay <= max delay.");
        }

        if (MetadataAttemptTimeout <= TimeSpan.Zero || BodyStallTimeout <= TimeSpan.Zero || MaxTimedOutAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MetadataAttemptTimeout), MetadataAttemptTimeout, "request timeouts must be positive and at least one timed-out try allowed.");
        }
    }

    /// <summary>The wait before try number <paramref name="attempt"/> + 1 (attempt counts from 1), jittered.</summary>
    public TimeSpan DelayAfter(int attempt, ObjectStoreErrorKind kind, Random random)
    {
        var exponential = BaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1);
        if (kind == ObjectStoreErrorKind.Throttled)
        {
            exponential *= ThrottleMultiplier;
        }

        var capped = Math.Min(exponential, MaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(random.NextDouble() * capped);
    }
}
