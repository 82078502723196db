using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Amazon.S3.Model;
using BucketMount.TestSupport;

namespace BucketMount.Gateway.Tests;

/// <summary>The gateway over TLS (where SDKs send UNSIGNED-PAYLOAD and unsigned aws-chunked bodies) and over a Unix socket.</summary>
[TestClass]
public sealed class GatewayTransportTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task Over_tls_unsigned_and_signed_chunks_with_trailing_checksums_arrive_intact()
    {
        var ct = TestContext.CancellationToken;
        using var certificate = SelfSigned();
        await using var gateway = await GatewayFixture.StartAsync(ct, certificate: certificate);
        var (id, secret, _) = gateway.Mint("users/123/");
        using var client = gateway.Client(id, secret);
        var data = new byte[180_000];
        Random.Shared.NextBytes(data);

        await client.PutObjectAsync(new PutObjectRequest { BucketName = gateway.Bucket, Key = "users/123/unsigned", InputStream = new MemoryStream(data), DisablePayloadSigning = true }, ct);
        await client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = gateway.Bucket, Key = "users/123/trailer", InputStream = new MemoryStream(data), ChecksumAlgorithm = Amazon.S3.ChecksumAlgorithm.CRC32,
        }, ct);

        using var admin = S3Buckets.AdminClient(gateway.Store!);
        foreach (var key in new[] { "users/123/unsigned", "users/123/trailer" })
        {
            using var stored = await admin.GetObjectAsync(gateway.Bucket, key, ct);
            var back = new MemoryStream();
            await stored.ResponseStream.CopyToAsync(back, ct);
            CollectionAssert.AreEqual(data, back.ToArray(), key);
        }

        var audit = await gateway.WaitForAuditAsync("key=\"users/123/trailer\"");
        // Over HTTPS the SDK turns DisablePayloadSigning into unsigned aws-chunked with its default CRC32 trailer.
        StringAssert.Contains(audit, "key=\"users/123/unsigned\" status=200 in=180045 out=0");
        StringAssert.Contains(audit, "payload=StreamingUnsignedTrailer");
        StringAssert.Contains(audit, "payload=StreamingSignedTrailer");
    }

    [TestMethod]
    public async Task A_unix_socket_serves_an_unsigned_payload_put_and_a_get_and_refuses_one_outside_the_grant()
    {
        var ct = TestContext.CancellationToken;
        var socket = Path.Combine(Path.GetTempPath(), $"bm-gw-{Guid.NewGuid():N}.sock");
        await using var gateway = await GatewayFixture.StartAsync(ct, unixSocket: socket);
        var (id, secret, _) = gateway.Mint("users/123/");
        var put = await RawS3.SendAsync(gateway.EndpointUri, (id, secret), "PUT", $"/{gateway.Bucket}/users/123/over-socket",
            signedBody: "through the socket"u8.ToArray(), unixSocket: socket, payloadHash: "UNSIGNED-PAYLOAD");
        Assert.AreEqual(200, put.Status, put.Text);

        var inside = await RawS3.SendAsync(gateway.EndpointUri, (id, secret), "GET", $"/{gateway.Bucket}/users/123/over-socket", unixSocket: socket);
        Assert.AreEqual(200, inside.Status, inside.Text);
        StringAssert.Contains(inside.Text, "through the socket");
        var outside = await RawS3.SendAsync(gateway.EndpointUri, (id, secret), "GET", $"/{gateway.Bucket}/users/1234/x", unixSocket: socket);
        Assert.AreEqual(403, outside.Status, outside.Text);
        StringAssert.Contains(await gateway.WaitForAuditAsync("reason="), "payload=Unsigned");
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        // SslStream on Linux needs the key in a form it can export: a PFX round trip gives it one.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }
}
