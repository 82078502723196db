using BucketMount.Backends.Memory;

namespace BucketMount.Engine.Tests;

/// <summary>
/// Under --sync-window, an fsync's upload whose deadline came while uploads are paused waits at the pause gate
/// without holding the file: its writers go on meanwhile, and after resume the upload sends the file as it is then.
/// </summary>
[TestClass]
public sealed class SyncWindowPauseTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task A_deadline_upload_held_by_a_pause_does_not_block_the_files_writers()
    {
        var store = new MemoryObjectStore();
        await using var fx = new EngineFixture(store, o => o with { SyncWindow = TimeSpan.FromMilliseconds(200), WriteBackDelay = TimeSpan.FromHours(1) });
        var handle = await fx.Engine.OpenAsync("/db", OpenFlags.ReadWrite | OpenFlags.Create, Token);
        await handle.WriteAsync(0, "first"u8.ToArray(), Token);
        fx.Engine.PauseUploads();
        await handle.SyncAsync(Token); // Durable locally; its upload is owed within the window.

        var deadline = DateTime.UtcNow + Bound;
        while (fx.Engine.UploadsHeldByPause == 0)
        {
            Assert.IsLessThan(deadline, DateTime.UtcNow, "the deadline upload reaches the pause gate");
            await Task.Delay(20, Token);
        }

        // Before: the held upload kept the file's content lock, so this write waited for resume.
        await handle.WriteAsync(5, " second"u8.ToArray(), Token).WaitAsync(Bound, Token);
        Assert.IsNull(await store.HeadAsync("db", Token), "nothing is sent while paused");

        fx.Engine.ResumeUploads();
        await handle.ReleaseAsync(Token);
        await fx.Engine.WaitForUploadsAsync(null, Token).WaitAsync(Bound, Token);
        Assert.AreEqual("first second", System.Text.Encoding.UTF8.GetString(await fx.ReadFileAsync("/db", Token)));
        Assert.AreEqual(12, (await store.HeadAsync("db", Token))?.Size);
    }
}
