using System.Net;
using Amazon.S3.Model;
using BucketMount.Backends.Remotes;
using BucketMount.Gateway.Forwarding;
using BucketMount.TestSupport;

namespace BucketMount.Gateway.Tests;

/// <summary>
/// s3rver checks no signatures, so the gateway's outgoing ones are checked by a second gateway: A forwards to B with
/// a grant B issued as A's "real" keys, and B verifies every request A signed before passing it to s3rver.
/// </summary>
[TestClass]
public sealed class GatewayChainTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task Requests_the_gateway_re_signs_pass_another_gateways_verifier()
    {
        var ct = TestContext.CancellationToken;
        await using var inner = await GatewayFixture.StartAsync(ct);
        var (innerId, innerSecret, _) = inner.Mint("users/");
        await using var outer = GatewayFixture.Start(new UpstreamStore
        {
            Bucket = inner.Bucket, Endpoint = inner.EndpointUri, Region = "eu-west-3", PathStyle = true, Credentials = new Amazon.Runtime.BasicAWSCredentials(innerId, innerSecret),
        }, inner.Store);
        var (id, secret, _) = outer.Mint("users/123/");
        using var client = outer.Client(id, secret);
        var data = new byte[150_000];
        Random.Shared.NextBytes(data);

        await client.PutObjectAsync(new PutObjectRequest { BucketName = outer.Bucket, Key = "users/123/chained bin+é", InputStream = new MemoryStream(data) }, ct);
        await client.PutObjectAsync(new PutObjectRequest { BucketName = outer.Bucket, Key = "users/123/trailer", InputStream = new MemoryStream(data), ChecksumAlgorithm = Amazon.S3.ChecksumAlgorithm.CRC32 }, ct);
        using var back = await client.GetObjectAsync(new GetObjectRequest { BucketName = outer.Bucket, Key = "users/123/chained bin+é", ByteRange = new ByteRange(1000, 1999) }, ct);
        var range = new MemoryStream();
        await back.ResponseStream.CopyToAsync(range, ct);
        CollectionAssert.AreEqual(data[1000..2000], range.ToArray());
        var listed = await client.ListObjectsAsync(new ListObjectsRequest { BucketName = outer.Bucket, Prefix = "users/123/" }, ct);
        CollectionAssert.AreEquivalent(new[] { "users/123/chained bin+é", "users/123/trailer" }, listed.S3Objects.Select(o => o.Key).ToList());
        await client.CopyObjectAsync(outer.Bucket, "users/123/trailer", outer.Bucket, "users/123/copy", ct);
        await client.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = outer.Bucket, Objects = [new KeyVersion { Key = "users/123/copy" }] }, ct);

        var audit = await inner.WaitForAuditAsync("op=DeleteObjects");
        Assert.IsFalse(audit.Contains("reason=", StringComparison.Ordinal), "the inner gateway refused a request the outer one signed:\n" + audit);
        StringAssert.Contains(audit, "op=PutObject key=\"users/123/chained bin+é\" status=200");
        StringAssert.Contains(audit, "op=CopyObject key=\"users/123/copy\" status=200");
        StringAssert.Contains(audit, "op=DeleteObjects key=\"\" status=200");
    }

    [TestMethod]
    public async Task The_store_keys_can_come_from_an_aws_profile_as_for_mount()
    {
        var ct = TestContext.CancellationToken;
        await using var inner = await GatewayFixture.StartAsync(ct);
        var (innerId, innerSecret, _) = inner.Mint("users/");
        var credentialsFile = Path.Combine(Path.GetTempPath(), "bm-gw-aws-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(credentialsFile, $"[gateway-store]\naws_access_key_id = {innerId}\naws_secret_access_key = {innerSecret}\n");
        // What AWS_SHARED_CREDENTIALS_FILE sets (the SDK reads that variable once per process).
        var before = Amazon.AWSConfigs.AWSProfilesLocation;
        Amazon.AWSConfigs.AWSProfilesLocation = credentialsFile;
        UpstreamStore upstream;
        try
        {
            // No AWS_* keys at all: the remote names a profile, as `mount s3://…?profile=` does.
            upstream = UpstreamStore.From(RemoteUri.Parse($"s3://{inner.Bucket}?endpoint={inner.Endpoint}&profile=gateway-store"), new RemoteCredentials());
        }
        finally
        {
            Amazon.AWSConfigs.AWSProfilesLocation = before;
            File.Delete(credentialsFile);
        }

        StringAssert.Contains(upstream.ToString(), "profile gateway-store");
        Assert.IsFalse(upstream.ToString().Contains(innerSecret, StringComparison.Ordinal));
        await using var outer = GatewayFixture.Start(upstream, inner.Store);
        var (id, secret, _) = outer.Mint("users/123/");
        using var client = outer.Client(id, secret);

        await client.PutObjectAsync(new PutObjectRequest { BucketName = outer.Bucket, Key = "users/123/from-profile", ContentBody = "signed with the profile's keys" }, ct);

        var audit = await inner.WaitForAuditAsync("op=PutObject");
        StringAssert.Contains(audit, "op=PutObject key=\"users/123/from-profile\" status=200");
        Assert.IsFalse(audit.Contains("reason=", StringComparison.Ordinal), audit);
    }
}
