using System.Globalization;

namespace BucketMount.Gateway.Tests;

/// <summary>A clock the test sets: signature examples are dated 2013 and 2015.</summary>
internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;

    // Timestamps (the rate limiter's) stand still with the clock, so a test never depends on how fast it ran.
    public override long GetTimestamp() => Now.UtcTicks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public static FixedClock At(string timestamp) => new(DateTimeOffset.ParseExact(timestamp, "yyyyMMdd'T'HHmmss'Z'",
        CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal));
}
