using Amazon.S3.Model;
using BucketMount.TestSupport;

namespace BucketMount.Backends.Tests.S3;

/// <summary>
/// A copy that replaces an object's user metadata (what a chmod, touch or rename through a mount sends) keeps the
/// content headers another tool set (`aws s3 cp --content-type --cache-control ...`, a website bucket): S3's
/// REPLACE directive drops every header the request does not repeat, so the store must repeat them.
/// </summary>
[TestClass]
public sealed class S3CopyHeadersTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task A_copy_with_replaced_metadata_keeps_the_sources_content_headers_on_s3rver() =>
        await CopiesKeepHeadersAsync(await Emulators.S3rver, S3Buckets.ForS3rver, 100);

    [TestMethod]
    public async Task A_copy_in_parts_with_replaced_metadata_keeps_the_sources_content_headers_on_fauxqs() =>
        await CopiesKeepHeadersAsync(await Emulators.Fauxqs, o => o with { MultipartCopyThreshold = 6L * 1024 * 1024, MultipartCopyPartSize = 5L * 1024 * 1024 }, 10 * 1024 * 1024);

    private async Task CopiesKeepHeadersAsync(EmulatorProcess emulator, Func<BucketMount.Backends.S3.S3StoreOptions, BucketMount.Backends.S3.S3StoreOptions> configure, int size)
    {
        var bucket = await S3Buckets.CreateBucketAsync(emulator, Token);
        await using var store = new BucketMount.Backends.S3.S3ObjectStore(configure(new BucketMount.Backends.S3.S3StoreOptions
        {
            Bucket = bucket,
            Endpoint = emulator.Endpoint,
            ForcePathStyle = true,
            AccessKeyId = S3Buckets.AccessKey,
            SecretAccessKey = S3Buckets.SecretKey,
        }));
        using var admin = S3Buckets.AdminClient(emulator);
        var put = new PutObjectRequest
        {
            BucketName = bucket,
            Key = "site/index.html",
            InputStream = new MemoryStream(new byte[size]),
            UseChunkEncoding = false, // aws-chunked would make fauxqs drop the Content-Encoding the test sets

            ContentType = "text/html; charset=utf-8",
        };
        put.Headers.CacheControl = "max-age=60";
        put.Headers.ContentDisposition = "inline; filename=\"index.html\"";
        put.Headers.ContentEncoding = "identity";
        put.Metadata.Add("mode", "33188");
        await admin.PutObjectAsync(put, Token);

        var replaced = new Dictionary<string, string> { ["mode"] = "33261", ["mtime"] = "1700000000" };
        await store.CopyAsync("site/index.html", "site/moved.html", new CopyOptions { ReplaceMetadata = replaced }, Token);
        await store.CopyAsync("site/index.html", "site/index.html", new CopyOptions { ReplaceMetadata = replaced }, Token);

        foreach (var key in new[] { "site/moved.html", "site/index.html" })
        {
            var head = await admin.GetObjectMetadataAsync(bucket, key, Token);
            Assert.AreEqual("33261", head.Metadata["mode"], $"{key}: the new metadata is stored");
            StringAssert.StartsWith(head.Headers.ContentType, "text/html", $"{key}: Content-Type");
            Assert.AreEqual("max-age=60", head.Headers.CacheControl, $"{key}: Cache-Control");
            Assert.AreEqual("inline; filename=\"index.html\"", head.Headers.ContentDisposition, $"{key}: Content-Disposition");
            Assert.AreEqual("identity", head.Headers.ContentEncoding, $"{key}: Content-Encoding");
        }
    }
}
