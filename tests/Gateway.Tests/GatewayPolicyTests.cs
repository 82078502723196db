using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using BucketMount.TestSupport;

namespace BucketMount.Gateway.Tests;

/// <summary>
/// Each policy rule, against a real gateway in front of s3rver that holds a secret outside the grant's prefix: the
/// escaping request is refused with S3's error, and a control request inside the prefix succeeds (so a refusal is
/// the policy's, not a signing mistake of the test).
/// </summary>
[TestClass]
public sealed class GatewayPolicyTests
{
    private const string Outside = "users/456/secret";

    public TestContext TestContext { get; set; } = null!;

    private async Task<(GatewayFixture Gateway, (string Id, string Secret) Key, AmazonS3Client Admin)> StartAsync(bool readOnly = false)
    {
        var gateway = await GatewayFixture.StartAsync(TestContext.CancellationToken);
        var admin = S3Buckets.AdminClient(gateway.Store!);
        await admin.PutObjectAsync(new PutObjectRequest { BucketName = gateway.Bucket, Key = Outside, ContentBody = "other tenant" }, TestContext.CancellationToken);
        await admin.PutObjectAsync(new PutObjectRequest { BucketName = gateway.Bucket, Key = "users/123/mine", ContentBody = "mine" }, TestContext.CancellationToken);
        var (id, secret, _) = gateway.Mint("users/123/", readOnly);
        return (gateway, (id, secret), admin);
    }

    private static void AssertRefused(RawS3.Response response, string code, string what)
    {
        Assert.AreEqual(code == "XAmzContentSHA256Mismatch" ? 400 : 403, response.Status, what + ": " + response.Text);
        StringAssert.Contains(response.Text, $"<Code>{code}</Code>", what);
        Assert.IsFalse(response.Text.Contains("other tenant", StringComparison.Ordinal), what + " leaked the object");
    }

    [TestMethod]
    public async Task Dot_segments_and_encoded_slashes_cannot_leave_the_prefix()
    {
        var (gateway, key, admin) = await StartAsync();
        await using var _ = gateway;
        using var __ = admin;
        var bucket = gateway.Bucket;

        var mine = await RawS3.SendAsync(gateway.EndpointUri, key, "GET", $"/{bucket}/users/123/mine");
        Assert.AreEqual(200, mine.Status, mine.Text);
        StringAssert.Contains(mine.Text, "mine");

        foreach (var path in new[]
        {
            $"/{bucket}/users/123/../456/secret", $"/{bucket}/users/123/%2E%2E/456/secret", $"/{bucket}/users%2F456%2Fsecret",
            $"/{bucket}/users/123/%252E%252E/456/secret", $"/{bucket}/users/123/%2e%2e%2f456%2fsecret", $"/{bucket}%2Fusers/456/secret",
            $"/{bucket}/users/123/./../456/secret",
        })
        {
            AssertRefused(await RawS3.SendAsync(gateway.EndpointUri, key, "GET", path), "AccessDenied", path);
        }
    }

    [TestMethod]
    public async Task Listing_above_the_prefix_is_refused_not_filtered()
    {
        var (gateway, key, admin) = await StartAsync();
        await using var _ = gateway;
        using var __ = admin;
        var bucket = "/" + gateway.Bucket;

        var inside = await RawS3.SendAsync(gateway.EndpointUri, key, "GET", bucket, "prefix=users%2F123%2F&delimiter=%2F");
        Assert.AreEqual(200, inside.Status, inside.Text);
        StringAssert.Contains(inside.Text, "users/123/mine");

        foreach (var query in new[] { "", "prefix=users%2F", "list-type=2&prefix=users%2F12", "prefix=users%2F123%2F&marker=users%2F456%2F", "list-type=2&prefix=users%2F123%2F&start-after=users%2F4", "uploads&prefix=users%2F" })
        {
            AssertRefused(await RawS3.SendAsync(gateway.EndpointUri, key, "GET", bucket, query), "AccessDenied", "listing " + query);
        }
    }

    [TestMethod]
    public async Task Copy_from_outside_the_prefix_is_refused()
    {
        var (gateway, key, admin) = await StartAsync();
        await using var _ = gateway;
        using var __ = admin;
        var ct = TestContext.CancellationToken;

        var inside = await RawS3.SendAsync(gateway.EndpointUri, key, "PUT", $"/{gateway.Bucket}/users/123/copy-ok", amzHeaders: new() { ["x-amz-copy-source"] = $"/{gateway.Bucket}/users/123/mine" });
        Assert.AreEqual(200, inside.Status, inside.Text);

        foreach (var source in new[] { $"/{gateway.Bucket}/{Outside}", $"{gateway.Bucket}%2Fusers%2F456%2Fsecret", $"{gateway.Bucket}/users/123/../456/secret", $"other-bucket/users/123/mine" })
        {
            AssertRefused(await RawS3.SendAsync(gateway.EndpointUri, key, "PUT", $"/{gateway.Bucket}/users/123/copy", amzHeaders: new() { ["x-amz-copy-source"] = source }), "AccessDenied", source);
        }

        var keys = (await admin.ListObjectsAsync(gateway.Bucket, ct)).S3Objects.Select(o => o.Key).ToList();
        CollectionAssert.DoesNotContain(keys, "users/123/copy");
    }

    [TestMethod]
    public async Task Multipart_upload_begun_under_the_prefix_cannot_complete_outside_it()
    {
        var (gateway, key, admin) = await StartAsync();
        await using var _ = gateway;
        using var __ = admin;
        var ct = TestContext.CancellationToken;
        using var client = gateway.Client(key.Id, key.Secret);

        var upload = await client.InitiateMultipartUploadAsync(gateway.Bucket, "users/123/big", ct);
        var part = await client.UploadPartAsync(new UploadPartRequest
        {
            BucketName = gateway.Bucket, Key = "users/123/big", UploadId = upload.UploadId, PartNumber = 1, InputStream = new MemoryStream(Encoding.ASCII.GetBytes("part one")),
        }, ct);
        // The id the client got is sealed to users/123/big: on another key, even under the prefix, it is unknown.
        var elsewhere = await Assert.ThrowsExactlyAsync<AmazonS3Exception>(() => client.UploadPartAsync(new UploadPartRequest
        {
            BucketName = gateway.Bucket, Key = "users/123/other", UploadId = upload.UploadId, PartNumber = 1, InputStream = new MemoryStream(Encoding.ASCII.GetBytes("x")),
        }, ct));
        Assert.AreEqual("NoSuchUpload", elsewhere.ErrorCode);
        var unsealed = upload.UploadId[..upload.UploadId.LastIndexOf('.')];
        Assert.AreEqual("NoSuchUpload", (await Assert.ThrowsExactlyAsync<AmazonS3Exception>(() => client.UploadPartAsync(new UploadPartRequest
        {
            BucketName = gateway.Bucket, Key = "users/123/big", UploadId = unsealed, PartNumber = 2, InputStream = new MemoryStream(Encoding.ASCII.GetBytes("x")),
        }, ct))).ErrorCode, "the store's own id, unsealed, is not accepted either");

        var complete = new CompleteMultipartUploadRequest { BucketName = gateway.Bucket, Key = "users/456/big", UploadId = upload.UploadId, PartETags = [new PartETag(1, part.ETag)] };

        var refused = await Assert.ThrowsExactlyAsync<AmazonS3Exception>(() => client.CompleteMultipartUploadAsync(complete, ct));
        Assert.AreEqual("AccessDenied", refused.ErrorCode);
        Assert.AreEqual(0, (await admin.ListObjectsAsync(new ListObjectsRequest { BucketName = gateway.Bucket, Prefix = "users/456/big" }, ct)).S3Objects?.Count ?? 0);

        complete.Key = "users/123/big";
        await client.CompleteMultipartUploadAsync(complete, ct);
        using var stored = await admin.GetObjectAsync(gateway.Bucket, "users/123/big", ct);
        Assert.AreEqual("part one", await new StreamReader(stored.ResponseStream).ReadToEndAsync(ct));
    }

    [TestMethod]
    public async Task Presigned_url_works_until_its_expiry_and_not_after()
    {
        var (gateway, key, admin) = await StartAsync();
        await using var _ = gateway;
        using var __ = admin;

        var fresh = await RawS3.PresignedGetAsync(gateway.EndpointUri, key, $"/{gateway.Bucket}/users/123/mine", DateTimeOffset.UtcNow, 3600);
        Assert.AreEqual(200, fresh.Status, fresh.Text);
        StringAssert.Contains(fresh.Text, "mine");

        var expired = await RawS3.PresignedGetAsync(gateway.EndpointUri, key, $"/{gateway.Bucket}/users/123/mine", DateTimeOffset.UtcNow.AddHours(-2), 3600);
        AssertRefused(expired, "AccessDenied", "expired presigned URL");
        StringAssert.Contains(expired.Text, "expired");

        var outside = await RawS3.PresignedGetAsync(gateway.EndpointUri, key, $"/{gateway.Bucket}/{Outside}", DateTimeOffset.UtcNow, 3600);
        AssertRefused(outside, "AccessDenied", "presigned URL outside the prefix");
    }

    [TestMethod]
    public async Task Revoked_grant_is_refused_once_the_deny_list_names_it_and_others_go_on()
    {
        var (gateway, key, admin) = await StartAsync();
        await using var _ = gateway;
        using var __ = admin;
        var (otherId, otherSecret, _) = gateway.Mint("users/123/");
        var revoked = gateway.Codec.Read(key.Id)!;

        Assert.AreEqual(200, (await RawS3.SendAsync(gateway.EndpointUri, key, "GET", $"/{gateway.Bucket}/users/123/mine")).Status);
        await File.WriteAllTextAsync(gateway.DenyListPath, $"# sandbox 7 destroyed\n{revoked.Id}\n", TestContext.CancellationToken);

        // The gateway looks at the file at most once a second: wait for the refusal, bounded.
        RawS3.Response? response = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            response = await RawS3.SendAsync(gateway.EndpointUri, key, "GET", $"/{gateway.Bucket}/users/123/mine");
            if (response.Status != 200)
            {
                break;
            }

            await Task.Delay(100, TestContext.CancellationToken);
        }

        AssertRefused(response!, "AccessDenied", "revoked grant");
        StringAssert.Contains(response!.Text, "revoked");
        Assert.AreEqual(200, (await RawS3.SendAsync(gateway.EndpointUri, (otherId, otherSecret), "GET", $"/{gateway.Bucket}/users/123/mine")).Status);
        StringAssert.Contains(await gateway.WaitForAuditAsync("reason=\"grant revoked"), $"grant={revoked.Id} op=GetObject key=\"users/123/mine\" status=403");
    }

    [TestMethod]
    public async Task Replayed_request_with_a_changed_body_is_refused_and_stores_nothing()
    {
        var (gateway, key, admin) = await StartAsync();
        await using var _ = gateway;
        using var __ = admin;
        var ct = TestContext.CancellationToken;
        var signedBody = Encoding.ASCII.GetBytes("the body that was signed");
        var changedBody = Encoding.ASCII.GetBytes("the body an attacker put");

        var replay = await RawS3.SendAsync(gateway.EndpointUri, key, "PUT", $"/{gateway.Bucket}/users/123/doc", signedBody: signedBody, sentBody: changedBody);
        AssertRefused(replay, "XAmzContentSHA256Mismatch", "changed body");
        Assert.AreEqual(0, (await admin.ListObjectsAsync(new ListObjectsRequest { BucketName = gateway.Bucket, Prefix = "users/123/doc" }, ct)).S3Objects?.Count ?? 0);

        var original = await RawS3.SendAsync(gateway.EndpointUri, key, "PUT", $"/{gateway.Bucket}/users/123/doc", signedBody: signedBody);
        Assert.AreEqual(200, original.Status, original.Text);
    }

    [TestMethod]
    public async Task Read_only_grant_reads_but_cannot_write_or_delete()
    {
        var (gateway, key, admin) = await StartAsync(readOnly: true);
        await using var _ = gateway;
        using var __ = admin;

        Assert.AreEqual(200, (await RawS3.SendAsync(gateway.EndpointUri, key, "GET", $"/{gateway.Bucket}/users/123/mine")).Status);
        AssertRefused(await RawS3.SendAsync(gateway.EndpointUri, key, "PUT", $"/{gateway.Bucket}/users/123/new", signedBody: "x"u8.ToArray()), "AccessDenied", "PUT");
        AssertRefused(await RawS3.SendAsync(gateway.EndpointUri, key, "DELETE", $"/{gateway.Bucket}/users/123/mine"), "AccessDenied", "DELETE");
        AssertRefused(await RawS3.SendAsync(gateway.EndpointUri, key, "POST", $"/{gateway.Bucket}/users/123/new", "uploads"), "AccessDenied", "multipart");
    }

    [TestMethod]
    public async Task Multi_object_delete_with_one_key_outside_deletes_nothing()
    {
        var (gateway, key, admin) = await StartAsync();
        await using var _ = gateway;
        using var __ = admin;
        var ct = TestContext.CancellationToken;
        var body = Encoding.UTF8.GetBytes($"<Delete><Object><Key>users/123/mine</Key></Object><Object><Key>{Outside}</Key></Object></Delete>");

        AssertRefused(await RawS3.SendAsync(gateway.EndpointUri, key, "POST", $"/{gateway.Bucket}", "delete", signedBody: body), "AccessDenied", "multi-delete");

        var keys = (await admin.ListObjectsAsync(gateway.Bucket, ct)).S3Objects.Select(o => o.Key).ToList();
        CollectionAssert.IsSubsetOf(new[] { "users/123/mine", Outside }, keys);
    }

    [TestMethod]
    public async Task Bucket_operations_expired_grants_and_skewed_clocks_are_refused()
    {
        var (gateway, key, admin) = await StartAsync();
        await using var _ = gateway;
        using var __ = admin;
        var (expiredId, expiredSecret, _) = gateway.Mint("users/123/", ttl: TimeSpan.FromSeconds(-1));

        Assert.AreEqual(200, (await RawS3.SendAsync(gateway.EndpointUri, key, "HEAD", $"/{gateway.Bucket}")).Status);
        AssertRefused(await RawS3.SendAsync(gateway.EndpointUri, key, "DELETE", $"/{gateway.Bucket}"), "AccessDenied", "DeleteBucket");
        AssertRefused(await RawS3.SendAsync(gateway.EndpointUri, key, "PUT", $"/{gateway.Bucket}", "policy", signedBody: "{}"u8.ToArray()), "AccessDenied", "PutBucketPolicy");
        AssertRefused(await RawS3.SendAsync(gateway.EndpointUri, key, "GET", $"/{gateway.Bucket}/users/123/mine", "acl"), "AccessDenied", "GetObjectAcl");

        var expired = await RawS3.SendAsync(gateway.EndpointUri, (expiredId, expiredSecret), "GET", $"/{gateway.Bucket}/users/123/mine");
        Assert.AreEqual(400, expired.Status);
        StringAssert.Contains(expired.Text, "<Code>ExpiredToken</Code>");

        var skewed = await RawS3.SendAsync(gateway.EndpointUri, key, "GET", $"/{gateway.Bucket}/users/123/mine", at: DateTimeOffset.UtcNow.AddMinutes(-20));
        AssertRefused(skewed, "RequestTimeTooSkewed", "skewed");

        var forged = await RawS3.SendAsync(gateway.EndpointUri, (key.Id, "not-the-secret"), "GET", $"/{gateway.Bucket}/users/123/mine");
        AssertRefused(forged, "SignatureDoesNotMatch", "wrong secret");
        Assert.IsFalse(gateway.AuditText.Contains(key.Secret, StringComparison.Ordinal), "the audit log never holds a secret");
    }
}
