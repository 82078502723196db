using System.Security.Cryptography.X509Certificates;
using BucketMount.Gateway.Forwarding;
using BucketMount.Gateway.Http;

namespace BucketMount.Gateway;

/// <summary>Everything `bucketmount gateway REMOTE` runs with; defaults declared here once.</summary>
internal sealed record GatewayOptions
{
    public required UpstreamStore Upstream { get; init; }

    public required ListenAddress Listen { get; init; }

    public required byte[] Secret { get; init; }

    /// <summary>File of revoked grant ids; null for none.</summary>
    public string? DenyListPath { get; init; }

    public X509Certificate2? Certificate { get; init; }

    /// <summary>Requests per second one grant may make; 0 for no limit.</summary>
    public double GrantRequestsPerSecond { get; init; } = 500;

    /// <summary>Body bytes per second one grant may move (both ways together); 0 for no limit.</summary>
    public double GrantBytesPerSecond { get; init; }

    /// <summary>Where `gateway status` finds this gateway's counters; null writes none.</summary>
    public string? StatusPath { get; init; }
}
