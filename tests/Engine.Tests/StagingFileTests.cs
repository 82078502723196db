using BucketMount.Engine.Writing;

namespace BucketMount.Engine.Tests;

[TestClass]
public sealed class StagingFileTests
{
    private const int Limit = StagingFile.MemoryLimit;

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    private string NewPath() => Path.Combine(Directory.CreateTempSubdirectory("bm-staging-").FullName, "f.data");

    [TestMethod]
    public async Task Small_content_stays_in_memory_and_reads_back_with_zeros_in_its_holes()
    {
        var path = NewPath();
        using var staging = StagingFile.Open(path);
        await staging.WriteAsync(0, "abc"u8.ToArray(), Token);
        staging.MarkZeros(3, 10);
        await staging.WriteAsync(10, "xyz"u8.ToArray(), Token);

        var read = new byte[16];
        await staging.ReadAsync(0, read, Token);

        Assert.IsFalse(staging.OnDisk);
        Assert.IsFalse(File.Exists(path), "no file for content the journal record carries");
        CollectionAssert.AreEqual("abc\0\0\0\0\0\0\0xyz\0\0\0"u8.ToArray(), read);
        Assert.IsEmpty(staging.Missing(0, 13));
    }

    [TestMethod]
    public async Task Content_reaching_past_the_limit_moves_to_the_file_whole()
    {
        var path = NewPath();
        using var staging = StagingFile.Open(path);
        var head = new byte[Limit - 100];
        new Random(1).NextBytes(head);
        await staging.WriteAsync(0, head, Token);
        await staging.WriteAsync(Limit + 50, "tail"u8.ToArray(), Token);

        var read = new byte[Limit + 54];
        await staging.ReadAsync(0, read, Token);

        Assert.IsTrue(staging.OnDisk);
        Assert.AreEqual(Limit + 54, new FileInfo(path).Length);
        CollectionAssert.AreEqual(head, read[..head.Length]);
        Assert.IsTrue(read.AsSpan(head.Length, 150).IndexOfAnyExcept((byte)0) < 0, "the gap reads as zeros");
        CollectionAssert.AreEqual("tail"u8.ToArray(), read[^4..]);
        CollectionAssert.AreEqual(new[] { ((long)head.Length, (long)Limit + 50) }, staging.Missing(0, Limit + 54));
    }

    [TestMethod]
    public async Task A_shrink_in_memory_forgets_the_bytes_past_it_when_the_file_grows_again()
    {
        using var staging = StagingFile.Open(NewPath());
        await staging.WriteAsync(0, "0123456789"u8.ToArray(), Token);
        staging.SetLength(10, 4);
        staging.SetLength(4, 8);

        var read = new byte[8];
        await staging.ReadAsync(0, read, Token);

        CollectionAssert.AreEqual("0123\0\0\0\0"u8.ToArray(), read);
    }

    [TestMethod]
    public async Task Flushing_memory_content_writes_it_to_the_file_and_an_upload_reads_it()
    {
        var path = NewPath();
        using var staging = StagingFile.Open(path);
        await staging.WriteAsync(0, "durable"u8.ToArray(), Token);
        var source = staging.Source(7);
        var viaSource = new byte[7];
        await source.ReadAtAsync(0, viaSource, Token);

        staging.FlushToDisk();

        CollectionAssert.AreEqual("durable"u8.ToArray(), viaSource);
        CollectionAssert.AreEqual("durable"u8.ToArray(), await File.ReadAllBytesAsync(path, Token));
        staging.Delete();
        Assert.IsFalse(File.Exists(path));
    }
}
