using BucketMount.Backends;
using BucketMount.Backends.Memory;

namespace BucketMount.Engine.Tests;

/// <summary>Pausing uploads (the Windows tray's "pause uploads"): closed files wait, durable; resume or any drain sends them.</summary>
[TestClass]
public sealed class PauseUploadsTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task A_paused_engine_holds_closed_files_until_resumed()
    {
        var store = new MemoryObjectStore();
        await using var fx = new EngineFixture(store);
        fx.Engine.PauseUploads();
        Assert.IsTrue(fx.Engine.UploadsPaused);
        await fx.WriteFileAsync("/a.txt", "held"u8.ToArray(), Token);

        await WaitUntilAsync(() => fx.Engine.UploadsHeldByPause == 1, "the upload reaches the pause gate");
        Assert.IsNull(await store.HeadAsync("a.txt", Token), "nothing is sent while paused");
        Assert.AreEqual(1, fx.Engine.GetStatistics().PendingUploads);

        fx.Engine.ResumeUploads();
        Assert.IsFalse(fx.Engine.UploadsPaused);
        await WaitUntilAsync(() => fx.Engine.GetStatistics().PendingUploads == 0, "the held upload goes after resume");
        Assert.AreEqual(4, (await store.HeadAsync("a.txt", Token))?.Size);
    }

    [TestMethod]
    public async Task A_drain_while_paused_sends_everything()
    {
        var store = new MemoryObjectStore();
        await using var fx = new EngineFixture(store);
        fx.Engine.PauseUploads();
        await fx.WriteFileAsync("/b.txt", "drained"u8.ToArray(), Token);
        await WaitUntilAsync(() => fx.Engine.UploadsHeldByPause == 1, "the upload reaches the pause gate");

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Token);
        limit.CancelAfter(TimeSpan.FromSeconds(60));
        await fx.Engine.WaitForUploadsAsync(null, limit.Token);
        Assert.AreEqual(7, (await store.HeadAsync("b.txt", Token))?.Size, "a flush or unmount never leaves data behind a pause");
        Assert.IsFalse(fx.Engine.UploadsPaused);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        for (var i = 0; i < 600 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.IsTrue(condition(), what + " (within 30 s)");
    }
}
