using System.Text;
using BucketMount.Backends;

namespace BucketMount.Engine.Tests;

[TestClass]
public sealed class BasicFileTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task A_written_file_reads_back_and_reaches_the_store_after_close()
    {
        await using var fx = new EngineFixture();
        var data = Encoding.UTF8.GetBytes("hello, bucket");

        await fx.Engine.CreateDirectoryAsync("/docs", Token);
        await fx.WriteFileAsync("/docs/hello.txt", data, Token);
        await fx.Engine.WaitForUploadsAsync(null, Token);

        CollectionAssert.AreEqual(data, await fx.ReadFileAsync("/docs/hello.txt", Token));
        Assert.AreEqual(data.Length, (await fx.Store.HeadAsync("docs/hello.txt", Token))?.Size);
        var names = (await fx.Engine.ListDirectoryAsync("/docs", Token)).Select(n => n.Name).ToArray();
        CollectionAssert.AreEqual(new[] { "hello.txt" }, names);
    }

    [TestMethod]
    public async Task Files_and_mtimes_survive_a_remount_with_an_empty_cache()
    {
        await using var fx = new EngineFixture();
        var mtime = new DateTimeOffset(2020, 5, 6, 7, 8, 9, TimeSpan.Zero).AddTicks(1234567);
        await fx.Engine.CreateDirectoryAsync("/a", Token);
        await fx.WriteFileAsync("/a/f.bin", [1, 2, 3], Token);
        await fx.Engine.SetAttributesAsync("/a/f.bin", new AttributeChanges { ModifiedTime = mtime, Mode = 0x81A4 }, Token);

        await fx.RemountAsync();

        var node = await fx.Engine.GetAttributesAsync("/a/f.bin", Token);
        Assert.AreEqual(mtime, node.ModifiedTime);
        Assert.AreEqual(0x81A4, node.Mode);
        CollectionAssert.AreEqual(new byte[] { 1, 2, 3 }, await fx.ReadFileAsync("/a/f.bin", Token));
        Assert.IsTrue((await fx.Engine.GetAttributesAsync("/a", Token)).IsDirectory);
    }

    [TestMethod]
    public async Task Random_writes_into_an_existing_file_keep_the_untouched_bytes()
    {
        await using var fx = new EngineFixture();
        var original = new byte[3_000_000];
        new Random(3).NextBytes(original);
        await fx.Store.PutAsync("big.bin", new MemoryStream(original), null, Token);

        await using (var handle = await fx.Engine.OpenAsync("/big.bin", OpenFlags.ReadWrite, Token))
        {
            await handle.WriteAsync(1_500_000, new byte[] { 9, 9, 9 }, Token);
        }

        await fx.Engine.WaitForUploadsAsync(null, Token);
        original[1_500_000] = original[1_500_001] = original[1_500_002] = 9;
        await fx.RemountAsync();
        CollectionAssert.AreEqual(original, await fx.ReadFileAsync("/big.bin", Token));
    }

    [TestMethod]
    public async Task Truncate_shrinks_and_grows_with_zeros()
    {
        await using var fx = new EngineFixture();
        await fx.WriteFileAsync("/t", [1, 2, 3, 4, 5], Token);
        await using (var handle = await fx.Engine.OpenAsync("/t", OpenFlags.ReadWrite, Token))
        {
            await handle.TruncateAsync(2, Token);
            await handle.TruncateAsync(4, Token);
        }

        await fx.RemountAsync();
        CollectionAssert.AreEqual(new byte[] { 1, 2, 0, 0 }, await fx.ReadFileAsync("/t", Token));
    }

    [TestMethod]
    public async Task Rename_moves_files_and_directories_with_their_content()
    {
        await using var fx = new EngineFixture();
        await fx.Engine.CreateDirectoryAsync("/d", Token);
        await fx.Engine.CreateDirectoryAsync("/d/sub", Token);
        await fx.WriteFileAsync("/d/sub/x", [7], Token);
        await fx.WriteFileAsync("/d/y", [8], Token);
        await fx.Engine.WaitForUploadsAsync(null, Token);

        await fx.Engine.RenameAsync("/d", "/e", noReplace: false, Token);
        await fx.Engine.RenameAsync("/e/y", "/e/sub/z", noReplace: false, Token);
        await fx.RemountAsync();

        Assert.IsNull(await fx.Engine.TryGetAttributesAsync("/d", Token));
        CollectionAssert.AreEqual(new byte[] { 7 }, await fx.ReadFileAsync("/e/sub/x", Token));
        CollectionAssert.AreEqual(new byte[] { 8 }, await fx.ReadFileAsync("/e/sub/z", Token));
        CollectionAssert.AreEqual(new[] { "sub" }, (await fx.Engine.ListDirectoryAsync("/e", Token)).Select(n => n.Name).ToArray());
    }

    [TestMethod]
    public async Task Deleting_the_last_file_keeps_its_directory()
    {
        await using var fx = new EngineFixture();
        await fx.Store.PutAsync("only/file.txt", new MemoryStream([1]), null, Token);

        await fx.Engine.DeleteFileAsync("/only/file.txt", Token);
        await fx.RemountAsync();

        Assert.IsTrue((await fx.Engine.GetAttributesAsync("/only", Token)).IsDirectory);
        Assert.IsEmpty(await fx.Engine.ListDirectoryAsync("/only", Token));
    }

    [TestMethod]
    public async Task Rmdir_refuses_a_non_empty_directory()
    {
        await using var fx = new EngineFixture();
        await fx.Engine.CreateDirectoryAsync("/full", Token);
        await fx.WriteFileAsync("/full/f", [1], Token);

        var error = await Assert.ThrowsExactlyAsync<FileSystemException>(() => fx.Engine.RemoveDirectoryAsync("/full", Token));

        Assert.AreEqual(FsError.NotEmpty, error.Error);
    }
}
