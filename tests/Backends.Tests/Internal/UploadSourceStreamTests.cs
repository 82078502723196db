namespace BucketMount.Backends.Tests.Internal;

[TestClass]
public sealed class UploadSourceStreamTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task A_window_reads_the_same_bytes_synchronously_and_asynchronously_and_rewinds()
    {
        var data = new byte[10_000];
        new Random(5).NextBytes(data);
        using var window = new UploadSourceStream(new MemoryUploadSource(data), 3_000, 4_000);

        var synchronous = new byte[4_000];
        window.ReadExactly(synchronous);
        Assert.AreEqual(0, window.Read(new byte[10]), "nothing past the window");
        window.Position = 0;
        var asynchronous = new byte[4_000];
        await window.ReadExactlyAsync(asynchronous, TestContext.CancellationTokenSource.Token);

        CollectionAssert.AreEqual(data[3_000..7_000], synchronous);
        CollectionAssert.AreEqual(synchronous, asynchronous);
        Assert.AreEqual(4_000, window.Length);
    }

    [TestMethod]
    public void A_source_shorter_than_it_said_fails_the_read_naming_where()
    {
        using var window = new UploadSourceStream(new ShortSource(claimed: 100, holds: 60), 0, 100);
        var buffer = new byte[100];

        Assert.AreEqual(60, window.Read(buffer));
        var error = Assert.ThrowsExactly<ObjectStoreException>(() => window.Read(buffer));

        StringAssert.Contains(error.Message, "ended at byte 60 but said it holds 100");
    }

    private sealed class ShortSource(long claimed, int holds) : IUploadSource
    {
        public long Length => claimed;

        public ValueTask<int> ReadAtAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken) => ValueTask.FromResult(ReadAt(offset, buffer.Span));

        public int ReadAt(long offset, Span<byte> buffer) => (int)Math.Clamp(holds - offset, 0, buffer.Length);
    }
}
