using BucketMount.Backends.Memory;
using BucketMount.Engine.Namespace;
using Microsoft.Win32.SafeHandles;

namespace BucketMount.Engine.Tests;

/// <summary>
/// Issue 17 defect 5: stat and listings of a file never wait for its journal fsync (a close, an fsync, a chmod of a
/// file being written): the disk flush happens outside the lock they take.
/// </summary>
[TestClass]
public sealed class StatDuringFsyncTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public async Task Stat_and_listing_answer_while_the_files_journal_fsync_is_held(bool fsync)
    {
        using var entered = new SemaphoreSlim(0);
        using var release = new ManualResetEventSlim(false);
        var hold = 0;
        void Flush(SafeFileHandle handle)
        {
            if (Volatile.Read(ref hold) == 1)
            {
                entered.Release();
                release.Wait(TimeSpan.FromSeconds(180)); // Longer than the two bounded waits below together.
            }

            RandomAccess.FlushToDisk(handle);
        }

        var folder = Directory.CreateTempSubdirectory("bucketmount-statfsync-").FullName;
        var engine = MountEngine.Start(new MemoryObjectStore(), new EngineOptions { CacheDirectory = folder, WriteBackDelay = TimeSpan.FromMinutes(5) },
            NamePlatform.Linux, null, Flush);
        try
        {
            var handle = await engine.OpenAsync("/a", OpenFlags.ReadWrite | OpenFlags.Create | OpenFlags.Exclusive, Token);
            await handle.WriteAsync(0, new byte[300_000], Token);
            Volatile.Write(ref hold, 1);
            var durable = Task.Run(() => fsync ? handle.SyncAsync(Token) : handle.FlushAsync(Token), Token);
            Assert.IsTrue(await entered.WaitAsync(TimeSpan.FromSeconds(60), Token), "the close reached the journal's fsync");

            // On other threads and bounded generously: before the fix they blocked on the lock the fsync was held under.
            var stat = await Task.Run(() => engine.GetAttributesAsync("/a", Token), Token).WaitAsync(TimeSpan.FromSeconds(60), Token);
            Assert.AreEqual(300_000L, stat.Size);
            var listed = await Task.Run(() => engine.ListDirectoryAsync("/", Token), Token).WaitAsync(TimeSpan.FromSeconds(60), Token);
            Assert.AreEqual(300_000L, listed.Single().Size);
            Assert.IsFalse(durable.IsCompleted, "the close still waits for its fsync");

            Volatile.Write(ref hold, 0);
            release.Set();
            await durable;
            await handle.ReleaseAsync(Token);
        }
        finally
        {
            release.Set();
            await engine.ShutdownAsync(null, CancellationToken.None);
            Directory.Delete(folder, recursive: true);
        }
    }
}
