using BucketMount.Backends;
using BucketMount.Backends.Decorators;
using BucketMount.Backends.Memory;

namespace BucketMount.Engine.Tests;

/// <summary>
/// A truncate past the largest object the store can hold fails as Linux fails a length past its largest file
/// (EINVAL, which pjdfstest truncate/12.t and ftruncate/12.t accept), not as a full cache (ENOSPC).
/// </summary>
[TestClass]
public sealed class FileSizeLimitTests
{
    private const long FiveGiB = 5L * 1024 * 1024 * 1024;

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task Truncate_past_the_largest_object_is_an_invalid_length_and_leaves_the_file_alone()
    {
        await using var fx = new EngineFixture(new S3LimitsStore(new MemoryObjectStore()));
        await fx.WriteFileAsync("/f", [1, 2, 3], Token);

        // pjdfstest's length: far past S3's 10,000 parts of 5 GiB.
        const long tooLarge = 999_999_999_999_999;
        await using (var handle = await fx.Engine.OpenAsync("/f", OpenFlags.Write, Token))
        {
            var byHandle = await Assert.ThrowsExactlyAsync<FileSystemException>(() => handle.TruncateAsync(tooLarge, Token));
            Assert.AreEqual(FsError.InvalidArgument, byHandle.Error, byHandle.Message);
        }

        var byPath = await Assert.ThrowsExactlyAsync<FileSystemException>(
            () => fx.Engine.SetAttributesAsync("/f", new AttributeChanges { Size = tooLarge }, Token));
        Assert.AreEqual(FsError.InvalidArgument, byPath.Error, byPath.Message);

        Assert.AreEqual(3, (await fx.Engine.GetAttributesAsync("/f", Token)).Size);
        CollectionAssert.AreEqual(new byte[] { 1, 2, 3 }, await fx.ReadFileAsync("/f", Token));

        // A size the store can hold still grows the file with zeros.
        await fx.Engine.SetAttributesAsync("/f", new AttributeChanges { Size = 5 }, Token);
        CollectionAssert.AreEqual(new byte[] { 1, 2, 3, 0, 0 }, await fx.ReadFileAsync("/f", Token));
    }

    [TestMethod]
    public void The_largest_object_is_one_put_or_the_most_parts_of_the_largest_size()
    {
        Assert.AreEqual(10_000 * FiveGiB, new StoreCapabilities { MaxSinglePutSize = FiveGiB, MaxPartSize = FiveGiB, MaxPartCount = 10_000 }.MaxObjectSize);
        Assert.AreEqual(long.MaxValue, new StoreCapabilities().MaxObjectSize, "no stated limit, no limit");
        Assert.AreEqual(FiveGiB, new StoreCapabilities { MaxSinglePutSize = FiveGiB, MaxPartSize = 1, MaxPartCount = 1 }.MaxObjectSize);
    }

    /// <summary>The memory store with S3's object limits.</summary>
    private sealed class S3LimitsStore(IObjectStore inner) : ObjectStoreDecorator(inner)
    {
        public override StoreCapabilities Capabilities =>
            Inner.Capabilities with { MaxSinglePutSize = FiveGiB, MaxPartSize = FiveGiB, MaxPartCount = 10_000 };
    }
}
