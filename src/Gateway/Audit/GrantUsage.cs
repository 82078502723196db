using System.Collections.Concurrent;

namespace BucketMount.Gateway.Audit;

/// <summary>
/// Per-grant counters and limits: requests per second (over it: 503 SlowDown, which S3 clients back off from) and
/// body bytes per second both ways (over it: the transfer is slowed, not failed). What `gateway status` reports.
/// </summary>
internal sealed class GrantUsage(double requestsPerSecond, double bytesPerSecond, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, Counters> _grants = new(StringComparer.Ordinal);

    public sealed class Counters
    {
        public long Requests;
        public long Refused;
        public long Throttled;

        /// <summary>How many times a body had to wait for the grant's byte rate.</summary>
        public long BytePauses;
        public long BytesIn;
        public long BytesOut;
        public long LastSeenUnixSeconds;
        public required string Prefix { get; init; }
        public required string Mode { get; init; }
        public TokenBucket? RequestRate { get; init; }
        public TokenBucket? ByteRate { get; init; }
    }

    public double RequestsPerSecond => requestsPerSecond;

    public double BytesPerSecond => bytesPerSecond;

    public IReadOnlyDictionary<string, Counters> Snapshot => _grants;

    public Counters For(Grants.Grant grant) => _grants.GetOrAdd(grant.Id, _ => new Counters
    {
        Prefix = grant.Prefix, Mode = grant.Mode,
        RequestRate = requestsPerSecond > 0 ? new TokenBucket(requestsPerSecond, clock) : null,
        ByteRate = bytesPerSecond > 0 ? new TokenBucket(bytesPerSecond, clock) : null,
    });

    /// <summary>Counts a request; refuses it with SlowDown past the grant's request rate.</summary>
    public void Admit(Counters counters)
    {
        Interlocked.Increment(ref counters.Requests);
        Interlocked.Exchange(ref counters.LastSeenUnixSeconds, clock.GetUtcNow().ToUnixTimeSeconds());
        if (counters.RequestRate is { } rate && !rate.TryTakeOne())
        {
            Interlocked.Increment(ref counters.Throttled);
            throw new GatewayRefusal(S3ErrorCode.SlowDown, "Please reduce your request rate.", $"over the grant's {requestsPerSecond} requests/s");
        }
    }

    /// <summary>Waits as long as the grant's byte rate asks before <paramref name="bytes"/> more go through.</summary>
    public static async ValueTask ThrottleAsync(Counters counters, int bytes, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (counters.ByteRate is { } rate && rate.Take(bytes) is { } wait && wait > TimeSpan.Zero)
        {
            Interlocked.Increment(ref counters.BytePauses);
            await Task.Delay(wait, clock, cancellationToken).ConfigureAwait(false);
        }
    }
}
