namespace BucketMount.Backends.Decorators;

/// <summary>What a <see cref="FaultInjectingObjectStore"/> does to the calls passing through it.</summary>
public sealed record FaultOptions
{
    /// <summary>Share of calls (0..1) that fail with a transient error before reaching the store.</summary>
    public double TransientFailureRate { get; init; }

    /// <summary>Share of calls (0..1) that reach the store and then fail anyway, as when a response is lost.</summary>
    public double LostResponseRate { get; init; }

    /// <summary>Delay added to every call, as a distant store would.</summary>
    public TimeSpan Latency { get; init; }

    /// <summary>Seed of the fault sequence, so a failing run can be replayed.</summary>
    public int Seed { get; init; } = 1;

    public void Validate()
    {
        if (TransientFailureRate is < 0 or > 1 || LostResponseRate is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(TransientFailureRate), "fault rates are shares between 0 and 1.");
        }

        if (Latency < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Latency), Latency, "latency cannot be negative.");
        }
    }
}
