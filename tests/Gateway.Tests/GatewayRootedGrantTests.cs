using System.Text;
using Amazon.S3.Model;
using BucketMount.TestSupport;

namespace BucketMount.Gateway.Tests;

/// <summary>
/// A rooted grant (`gateway grant --rooted`): the sandbox's bucket is the grant's prefix. Its keys, listings, copies,
/// multi-object deletes and multipart uploads land under the prefix and come back without it; another tenant's
/// objects and the bucket's top level are never listed, and a key that climbs out with ".." is refused.
/// </summary>
[TestClass]
public sealed class GatewayRootedGrantTests
{
    private const string Outside = "users/456/secret";

    public TestContext TestContext { get; set; } = null!;

    /// <summary>A gateway whose bucket holds another tenant's object and <paramref name="seeded"/>; a rooted grant for users/123/.</summary>
    private async Task<(GatewayFixture Gateway, Amazon.S3.AmazonS3Client Admin, (string Id, string Secret) Key)> StartAsync(string seeded)
    {
        var gateway = await GatewayFixture.StartAsync(TestContext.CancellationToken);
        var admin = S3Buckets.AdminClient(gateway.Store!);
        foreach (var key in new[] { Outside, seeded })
        {
            await admin.PutObjectAsync(new PutObjectRequest { BucketName = gateway.Bucket, Key = key, ContentBody = key == Outside ? "other tenant" : "seeded" }, TestContext.CancellationToken);
        }

        var (id, secret, _) = gateway.Mint("users/123/", rooted: true);
        return (gateway, admin, (id, secret));
    }

    [TestMethod]
    public async Task Rooted_grant_sees_its_prefix_as_the_whole_bucket()
    {
        var ct = TestContext.CancellationToken;
        var (gateway, admin, (id, secret)) = await StartAsync("top.txt");
        await using var _ = gateway;
        using var __ = admin;
        using var client = gateway.Client(id, secret);

        await client.PutObjectAsync(new PutObjectRequest { BucketName = gateway.Bucket, Key = "a.txt", ContentBody = "a" }, ct);
        await client.PutObjectAsync(new PutObjectRequest { BucketName = gateway.Bucket, Key = "dir/b.txt", ContentBody = "b" }, ct);
        await client.CopyObjectAsync(gateway.Bucket, "a.txt", gateway.Bucket, "dir/c.txt", ct);
        using (var read = await client.GetObjectAsync(gateway.Bucket, "dir/c.txt", ct))
        {
            Assert.AreEqual("a", await new StreamReader(read.ResponseStream).ReadToEndAsync(ct));
        }

        var root = await client.ListObjectsAsync(new ListObjectsRequest { BucketName = gateway.Bucket, Delimiter = "/" }, ct);
        CollectionAssert.AreEqual(new[] { "a.txt" }, root.S3Objects.Select(o => o.Key).ToArray());
        CollectionAssert.AreEqual(new[] { "dir/" }, root.CommonPrefixes.ToArray());
        var first = await client.ListObjectsAsync(new ListObjectsRequest { BucketName = gateway.Bucket, MaxKeys = 1 }, ct); // s3rver's V2 listings fail with max-keys
        CollectionAssert.AreEqual(new[] { "a.txt" }, first.S3Objects.Select(o => o.Key).ToArray());
        Assert.IsTrue(first.IsTruncated);
        var next = await client.ListObjectsAsync(new ListObjectsRequest { BucketName = gateway.Bucket, Prefix = "dir/", Marker = "dir/b.txt" }, ct);
        CollectionAssert.AreEqual(new[] { "dir/c.txt" }, next.S3Objects.Select(o => o.Key).ToArray());
        Assert.AreEqual("dir/", next.Prefix);

        var upload = await client.InitiateMultipartUploadAsync(gateway.Bucket, "big", ct);
        Assert.AreEqual("big", upload.Key);
        var part = await client.UploadPartAsync(new UploadPartRequest
        {
            BucketName = gateway.Bucket, Key = "big", UploadId = upload.UploadId, PartNumber = 1, InputStream = new MemoryStream(Encoding.ASCII.GetBytes("one part")),
        }, ct);
        var completed = await client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = gateway.Bucket, Key = "big", UploadId = upload.UploadId, PartETags = [new PartETag(1, part.ETag)],
        }, ct);
        Assert.AreEqual("big", completed.Key);

        var deleted = await client.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = gateway.Bucket, Objects = [new KeyVersion { Key = "a.txt" }, new KeyVersion { Key = "dir/c.txt" }] }, ct);
        CollectionAssert.AreEquivalent(new[] { "a.txt", "dir/c.txt" }, deleted.DeletedObjects.Select(d => d.Key).ToArray());

        var keys = (await admin.ListObjectsAsync(gateway.Bucket, ct)).S3Objects.Select(o => o.Key).Order(StringComparer.Ordinal).ToArray();
        CollectionAssert.AreEqual(new[] { "top.txt", "users/123/big", "users/123/dir/b.txt", Outside }, keys);
        StringAssert.Contains(await gateway.WaitForAuditAsync("op=DeleteObjects"), "op=PutObject key=\"users/123/a.txt\" status=200");
    }

    [TestMethod]
    public async Task Rooted_grant_cannot_climb_out_of_its_prefix()
    {
        var ct = TestContext.CancellationToken;
        var (gateway, admin, key) = await StartAsync("users/123/mine");
        await using var _ = gateway;
        using var __ = admin;
        var bucket = gateway.Bucket;

        var mine = await RawS3.SendAsync(gateway.EndpointUri, key, "GET", $"/{bucket}/mine");
        Assert.AreEqual(200, mine.Status, mine.Text);
        var listing = await RawS3.SendAsync(gateway.EndpointUri, key, "GET", $"/{bucket}");
        Assert.AreEqual(200, listing.Status, listing.Text);
        StringAssert.Contains(listing.Text, "<Key>mine</Key>");
        Assert.IsFalse(listing.Text.Contains("secret", StringComparison.Ordinal) || listing.Text.Contains("users/", StringComparison.Ordinal), listing.Text);

        var refused = new List<(string What, RawS3.Response Response)>();
        foreach (var path in new[] { $"/{bucket}/../456/secret", $"/{bucket}/%2E%2E/456/secret", $"/{bucket}/%2E%2E%2F456%2Fsecret", $"/{bucket}/%252E%252E/456/secret" })
        {
            refused.Add((path, await RawS3.SendAsync(gateway.EndpointUri, key, "GET", path)));
        }

        foreach (var query in new[] { "prefix=..%2F", "prefix=..%2F456%2F", "marker=..%2F456%2F", "list-type=2&start-after=..%2F4" })
        {
            refused.Add((query, await RawS3.SendAsync(gateway.EndpointUri, key, "GET", $"/{bucket}", query)));
        }

        refused.Add(("copy source", await RawS3.SendAsync(gateway.EndpointUri, key, "PUT", $"/{bucket}/copy", amzHeaders: new() { ["x-amz-copy-source"] = $"/{bucket}/../456/secret" })));
        refused.Add(("multi-delete", await RawS3.SendAsync(gateway.EndpointUri, key, "POST", $"/{bucket}", "delete",
            signedBody: Encoding.UTF8.GetBytes("<Delete><Object><Key>mine</Key></Object><Object><Key>../456/secret</Key></Object></Delete>"))));

        foreach (var (what, response) in refused)
        {
            Assert.AreEqual(403, response.Status, what + ": " + response.Text);
            StringAssert.Contains(response.Text, "<Code>AccessDenied</Code>", what);
            Assert.IsFalse(response.Text.Contains("other tenant", StringComparison.Ordinal), what + " leaked the object");
        }

        var keys = (await admin.ListObjectsAsync(bucket, ct)).S3Objects.Select(o => o.Key).Order(StringComparer.Ordinal).ToArray();
        CollectionAssert.AreEqual(new[] { "users/123/mine", Outside }, keys);
    }
}
