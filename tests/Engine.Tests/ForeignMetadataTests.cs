using BucketMount.Backends;
using BucketMount.Backends.Memory;

namespace BucketMount.Engine.Tests;

/// <summary>
/// User-metadata keys another tool wrote (rclone's md5chksum, an application's own tags) survive the mount rewriting
/// an object's metadata: chmod's copy in place and a rename's copy carry them along with ours.
/// </summary>
[TestClass]
public sealed class ForeignMetadataTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task Chmod_and_rename_keep_another_tools_metadata_keys()
    {
        var store = new MemoryObjectStore();
        var theirs = new Dictionary<string, string> { ["mode"] = "33188", ["md5chksum"] = "q1w2e3", ["project"] = "blue" };
        await store.PutAsync("f", new MemoryStream([1, 2, 3]), new PutOptions { Metadata = theirs }, Token);
        await using var fx = new EngineFixture(store);

        await fx.Engine.SetAttributesAsync("/f", new AttributeChanges { Mode = 0x8000 | 0x1ED }, Token);
        var chmodded = (await store.HeadAsync("f", Token))!.Metadata!;
        Assert.AreEqual((0x8000 | 0x1ED).ToString(System.Globalization.CultureInfo.InvariantCulture), chmodded["mode"], "our change is stored");
        Assert.AreEqual("q1w2e3", chmodded.GetValueOrDefault("md5chksum"), "chmod keeps another tool's key");
        Assert.AreEqual("blue", chmodded.GetValueOrDefault("project"));

        await fx.Engine.RenameAsync("/f", "/g", false, Token);
        var renamed = (await store.HeadAsync("g", Token))!.Metadata!;
        Assert.AreEqual("q1w2e3", renamed.GetValueOrDefault("md5chksum"), "rename keeps another tool's key");
        Assert.AreEqual("blue", renamed.GetValueOrDefault("project"));
        Assert.AreEqual(chmodded["mode"], renamed["mode"]);
    }
}

/// <summary>
/// The content headers another tool gave an object (`aws s3 cp --content-type --cache-control`, a website bucket)
/// survive a chmod, a touch and a rename through the mount, on a real S3 server (s3rver): those copies replace the
/// user metadata, and S3 then drops every header the copy does not repeat.
/// </summary>
[TestClass]
public sealed class ForeignContentHeaderTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task Chmod_touch_and_rename_keep_the_objects_content_type_and_cache_control_on_s3()
    {
        var emulator = await BucketMount.TestSupport.Emulators.S3rver;
        var bucket = await BucketMount.TestSupport.S3Buckets.CreateBucketAsync(emulator, Token);
        using var admin = BucketMount.TestSupport.S3Buckets.AdminClient(emulator);
        var put = new Amazon.S3.Model.PutObjectRequest { BucketName = bucket, Key = "index.html", ContentBody = "<p>hi</p>", ContentType = "text/html" };
        put.Headers.CacheControl = "max-age=300";
        await admin.PutObjectAsync(put, Token);
        await using var store = new BucketMount.Backends.S3.S3ObjectStore(BucketMount.TestSupport.S3Buckets.ForS3rver(new BucketMount.Backends.S3.S3StoreOptions
        {
            Bucket = bucket,
            Endpoint = emulator.Endpoint,
            ForcePathStyle = true,
            AccessKeyId = BucketMount.TestSupport.S3Buckets.AccessKey,
            SecretAccessKey = BucketMount.TestSupport.S3Buckets.SecretKey,
        }));
        await using var fx = new EngineFixture(store);

        await fx.Engine.SetAttributesAsync("/index.html", new AttributeChanges { Mode = 0x8000 | 0x1A4 }, Token);
        await AssertHeadersAsync(admin, bucket, "index.html", "chmod");
        await fx.Engine.SetAttributesAsync("/index.html", new AttributeChanges { ModifiedTime = DateTimeOffset.UtcNow.AddDays(-1) }, Token);
        await AssertHeadersAsync(admin, bucket, "index.html", "touch");
        await fx.Engine.RenameAsync("/index.html", "/home.html", false, Token);
        await AssertHeadersAsync(admin, bucket, "home.html", "rename");
    }

    private async Task AssertHeadersAsync(Amazon.S3.AmazonS3Client admin, string bucket, string key, string after)
    {
        var head = await admin.GetObjectMetadataAsync(bucket, key, Token);
        StringAssert.StartsWith(head.Headers.ContentType, "text/html", $"Content-Type after {after}");
        Assert.AreEqual("max-age=300", head.Headers.CacheControl, $"Cache-Control after {after}");
    }
}
