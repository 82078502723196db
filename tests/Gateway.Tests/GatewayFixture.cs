using System.Net;
using System.Security.Cryptography.X509Certificates;
using Amazon.Runtime;
using Amazon.S3;
using BucketMount.Gateway.Forwarding;
using BucketMount.Gateway.Grants;
using BucketMount.Gateway.Http;
using BucketMount.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace BucketMount.Gateway.Tests;

/// <summary>A real gateway on a free 127.0.0.1 port in front of a fresh s3rver bucket, and grants for it.</summary>
internal sealed class GatewayFixture : IAsyncDisposable
{
    public const string Secret = "test-gateway-secret-0123456789-abcdefghijklmnop";
    private readonly GatewayHost _host;
    private readonly StringWriter _audit = new();

    private GatewayFixture(GatewayHost host, StringWriter audit, string bucket, string endpoint, EmulatorProcess? store, string denyList)
    {
        _host = host;
        _audit = audit;
        Bucket = bucket;
        Endpoint = endpoint;
        Store = store;
        DenyListPath = denyList;
    }

    public string Bucket { get; }

    /// <summary>http://127.0.0.1:PORT of the gateway.</summary>
    public string Endpoint { get; }

    /// <summary>The emulator behind the gateway (s3rver unless a test asked for another).</summary>
    public EmulatorProcess? Store { get; }

    public string DenyListPath { get; }

    /// <summary>The gateway's per-grant counters, as `gateway status` reads them.</summary>
    internal Audit.GrantUsage Usage => _host.Usage;

    public Uri EndpointUri => new(Endpoint);

    public string AuditText
    {
        get
        {
            lock (_audit)
            {
                return _audit.ToString();
            }
        }
    }

    /// <summary>The audit line is written once the answer is sent: wait for it (bounded) before asserting on it.</summary>
    public async Task<string> WaitForAuditAsync(string text)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!AuditText.Contains(text, StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        return AuditText;
    }

    public GrantCodec Codec { get; } = new(System.Text.Encoding.UTF8.GetBytes(Secret));

    /// <summary>A gateway in front of a new bucket of s3rver, or of <paramref name="store"/>.</summary>
    public static async Task<GatewayFixture> StartAsync(CancellationToken cancellationToken, double requestsPerSecond = 0, X509Certificate2? certificate = null, string? unixSocket = null,
        TimeProvider? clock = null, EmulatorProcess? store = null, double bytesPerSecond = 0)
    {
        var s3rver = store ?? await Emulators.S3rver;
        var bucket = await S3Buckets.CreateBucketAsync(s3rver, cancellationToken);
        var upstream = new UpstreamStore
        {
            Bucket = bucket, Endpoint = new Uri(s3rver.Endpoint), Region = "us-east-1", PathStyle = true,
            Credentials = new BasicAWSCredentials(S3Buckets.AccessKey, S3Buckets.SecretKey),
        };
        return Start(upstream, s3rver, requestsPerSecond, certificate, unixSocket, clock, bytesPerSecond);
    }

    /// <summary>A gateway in front of any S3 endpoint (another gateway, to check this one's outgoing signatures).</summary>
    public static GatewayFixture Start(UpstreamStore upstream, EmulatorProcess? s3rver, double requestsPerSecond = 0, X509Certificate2? certificate = null, string? unixSocket = null,
        TimeProvider? clock = null, double bytesPerSecond = 0)
    {
        var denyList = Path.Combine(Path.GetTempPath(), "bm-deny-" + Guid.NewGuid().ToString("N"));
        var audit = new StringWriter();
        var options = new GatewayOptions
        {
            Upstream = upstream, Listen = ListenAddress.Parse(unixSocket is null ? "127.0.0.1:0" : "unix:" + unixSocket), Certificate = certificate, Secret = System.Text.Encoding.UTF8.GetBytes(Secret),
            DenyListPath = denyList, GrantRequestsPerSecond = requestsPerSecond, GrantBytesPerSecond = bytesPerSecond,
        };
        var host = new GatewayHost(options, TextWriter.Synchronized(audit), NullLogger.Instance, clock);
        host.Start();
        var endpoint = host.LocalEndPoint is IPEndPoint ip ? $"{(certificate is null ? "http" : "https")}://127.0.0.1:{ip.Port}" : "http://localhost";
        return new GatewayFixture(host, audit, upstream.Bucket, endpoint, s3rver, denyList);
    }

    public (string AccessKeyId, string Secret, Grant Grant) Mint(string prefix, bool readOnly = false, TimeSpan? ttl = null, bool rooted = false)
    {
        var grant = new Grant { Id = GrantCodec.NewGrantId(), Prefix = prefix, ReadOnly = readOnly, Rooted = rooted, Expires = DateTimeOffset.UtcNow + (ttl ?? TimeSpan.FromHours(1)) };
        var (id, secret) = Codec.Mint(grant);
        return (id, secret, grant);
    }

    /// <summary>The AWS SDK pointed at the gateway with a grant's keys, as a sandbox's client would be.</summary>
    public AmazonS3Client Client(string accessKeyId, string secret) => new(new BasicAWSCredentials(accessKeyId, secret), new AmazonS3Config
    {
        ServiceURL = Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1", UseHttp = Endpoint.StartsWith("http:", StringComparison.Ordinal), MaxErrorRetry = 0,
        HttpClientFactory = new TrustingHttpClientFactory(),
    });

    /// <summary>The TLS test's certificate is self-signed: this client trusts it (and only talks to 127.0.0.1).</summary>
    private sealed class TrustingHttpClientFactory : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) =>
            new(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true });
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        File.Delete(DenyListPath);
    }
}
