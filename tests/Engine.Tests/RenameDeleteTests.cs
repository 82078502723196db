namespace BucketMount.Engine.Tests;

[TestClass]
public sealed class RenameDeleteTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task Rename_without_replace_refuses_an_existing_target()
    {
        await using var fx = new EngineFixture();
        await fx.WriteFileAsync("/a", [1], Token);
        await fx.WriteFileAsync("/b", [2], Token);

        var error = await Assert.ThrowsExactlyAsync<FileSystemException>(() => fx.Engine.RenameAsync("/a", "/b", noReplace: true, Token));

        Assert.AreEqual(FsError.Exists, error.Error);
        CollectionAssert.AreEqual(new byte[] { 2 }, await fx.ReadFileAsync("/b", Token));
    }

    [TestMethod]
    public async Task A_directory_cannot_move_into_itself()
    {
        await using var fx = new EngineFixture();
        await fx.Engine.CreateDirectoryAsync("/d", Token);

        var error = await Assert.ThrowsExactlyAsync<FileSystemException>(() => fx.Engine.RenameAsync("/d", "/d/inner", noReplace: false, Token));

        Assert.AreEqual(FsError.InvalidArgument, error.Error);
    }

    [TestMethod]
    public async Task A_file_cannot_replace_a_directory_nor_a_directory_a_file()
    {
        await using var fx = new EngineFixture();
        await fx.Engine.CreateDirectoryAsync("/d", Token);
        await fx.WriteFileAsync("/f", [1], Token);

        Assert.AreEqual(FsError.IsADirectory, (await Assert.ThrowsExactlyAsync<FileSystemException>(() => fx.Engine.RenameAsync("/f", "/d", false, Token))).Error);
        Assert.AreEqual(FsError.NotADirectory, (await Assert.ThrowsExactlyAsync<FileSystemException>(() => fx.Engine.RenameAsync("/d", "/f", false, Token))).Error);
    }

    [TestMethod]
    public async Task An_open_changed_file_keeps_reading_after_unlink_and_is_never_uploaded()
    {
        await using var fx = new EngineFixture(configure: o => o with { WriteBackDelay = TimeSpan.FromMilliseconds(50) });
        await using var handle = await fx.Engine.OpenAsync("/scratch", OpenFlags.ReadWrite | OpenFlags.Create, Token);
        await handle.WriteAsync(0, new byte[] { 1, 2, 3 }, Token);

        await fx.Engine.DeleteFileAsync("/scratch", Token);
        var buffer = new byte[3];
        var read = await handle.ReadAsync(0, buffer, Token);
        await handle.ReleaseAsync(Token);
        await Task.Delay(200, Token);

        Assert.AreEqual(3, read);
        CollectionAssert.AreEqual(new byte[] { 1, 2, 3 }, buffer);
        Assert.IsNull(await fx.Engine.TryGetAttributesAsync("/scratch", Token));
        Assert.IsNull(await fx.Store.HeadAsync("scratch", Token));
    }
}
