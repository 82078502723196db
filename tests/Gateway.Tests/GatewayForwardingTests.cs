using Amazon.S3;
using Amazon.S3.Model;
using BucketMount.Backends.S3;
using BucketMount.Gateway.Forwarding;
using BucketMount.TestSupport;

namespace BucketMount.Gateway.Tests;

/// <summary>s3rver behind the gateway: our own S3 store and the AWS SDK work through it under a grant.</summary>
[TestClass]
public sealed class GatewayForwardingTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow("s3rver")]
    [DataRow("fauxqs")] // V2 listings and batch delete (s3rver has neither)
    public async Task Our_s3_store_writes_reads_lists_copies_and_deletes_through_the_gateway(string emulator)
    {
        var ct = TestContext.CancellationToken;
        await using var gateway = await GatewayFixture.StartAsync(ct, store: await StoreAsync(emulator));
        var (id, secret, _) = gateway.Mint("users/123/");
        var options = new S3StoreOptions { Bucket = gateway.Bucket, Endpoint = gateway.Endpoint, ForcePathStyle = true, AccessKeyId = id, SecretAccessKey = secret };
        await using var store = new S3ObjectStore(emulator == "s3rver" ? S3Buckets.ForS3rver(options) : options with { ConditionalWrites = false });
        var data = new byte[300_000];
        Random.Shared.NextBytes(data);

        await store.PutAsync("users/123/a.bin", new MemoryStream(data), null, ct);
        var back = new MemoryStream();
        await store.ReadToAsync("users/123/a.bin", 0, null, back, null, ct);
        CollectionAssert.AreEqual(data, back.ToArray());

        await store.CopyAsync("users/123/a.bin", "users/123/b.bin", null, ct);
        var listed = new List<string>();
        await foreach (var entry in store.ListAsync("users/123/", "/", ct))
        {
            listed.Add(entry.Key);
        }

        CollectionAssert.AreEquivalent(new[] { "users/123/a.bin", "users/123/b.bin" }, listed);
        await store.DeleteAsync("users/123/a.bin", ct);

        using var admin = S3Buckets.AdminClient(gateway.Store!);
        var objects = await admin.ListObjectsAsync(gateway.Bucket, ct);
        CollectionAssert.AreEqual(new[] { "users/123/b.bin" }, objects.S3Objects.Select(o => o.Key).ToArray());
        StringAssert.Contains(await gateway.WaitForAuditAsync("op=DeleteObject "), "op=PutObject key=\"users/123/a.bin\" status=200 in=300000");
    }

    [TestMethod]
    // Over plain HTTP the SDK signs the body's SHA-256, or with a checksum sends signed aws-chunked with a signed
    // trailer (CRC32C needs the SDK's native CRT, and UNSIGNED-PAYLOAD needs HTTPS, so they are not here).
    [DataRow(null, "s3rver", DisplayName = "signed body hash")]
    [DataRow("CRC32", "s3rver", DisplayName = "aws-chunked with trailing CRC32")]
    [DataRow("SHA256", "s3rver", DisplayName = "aws-chunked with trailing SHA256")]
    [DataRow(null, "fauxqs", DisplayName = "signed body hash, fauxqs")]
    [DataRow("CRC32", "fauxqs", DisplayName = "aws-chunked with trailing CRC32, fauxqs")]
    public async Task Sdk_puts_in_each_signing_form_arrive_decoded_in_the_store(string? checksum, string emulator)
    {
        var ct = TestContext.CancellationToken;
        await using var gateway = await GatewayFixture.StartAsync(ct, store: await StoreAsync(emulator));
        var (id, secret, _) = gateway.Mint("users/123/");
        using var client = gateway.Client(id, secret);
        var data = new byte[200_000];
        Random.Shared.NextBytes(data);

        var request = new PutObjectRequest
        {
            BucketName = gateway.Bucket, Key = "users/123/c.bin", InputStream = new MemoryStream(data),
        };
        if (checksum is not null)
        {
            request.ChecksumAlgorithm = new ChecksumAlgorithm(checksum);
        }

        await client.PutObjectAsync(request, ct);

        using var admin = S3Buckets.AdminClient(gateway.Store!);
        using var stored = await admin.GetObjectAsync(gateway.Bucket, "users/123/c.bin", ct);
        var back = new MemoryStream();
        await stored.ResponseStream.CopyToAsync(back, ct);
        CollectionAssert.AreEqual(data, back.ToArray());
    }

    private static async Task<EmulatorProcess> StoreAsync(string emulator) => emulator == "s3rver" ? await Emulators.S3rver : await Emulators.Fauxqs;
}
