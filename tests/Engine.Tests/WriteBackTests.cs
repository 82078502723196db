using BucketMount.Backends;
using BucketMount.Backends.Decorators;
using BucketMount.Backends.Memory;
using BucketMount.Engine.Diagnostics;
using BucketMount.Engine.Writing;

namespace BucketMount.Engine.Tests;

[TestClass]
public sealed class WriteBackTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    private static async Task<string> StoredTextAsync(IObjectStore store, string key)
    {
        using var stream = new MemoryStream();
        await store.ReadToAsync(key, 0, null, stream, null, CancellationToken.None);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static long JournalBytes(string folder) => Directory.GetFiles(folder).Sum(f => new FileInfo(f).Length);

    private async Task OverwriteWhileSomeoneElseChangesItAsync(EngineFixture fx)
    {
        await fx.Store.PutAsync("shared.txt", new MemoryStream("original"u8.ToArray()), null, Token);
        await using (var handle = await fx.Engine.OpenAsync("/shared.txt", OpenFlags.ReadWrite, Token))
        {
            await handle.ReadAsync(0, new byte[8], Token);
            await fx.Store.PutAsync("shared.txt", new MemoryStream("theirs"u8.ToArray()), null, Token);
            await handle.WriteAsync(0, "ours!!!!"u8.ToArray(), Token);
        }

        await fx.Engine.WaitForUploadsAsync(null, Token);
    }

    [TestMethod]
    public async Task A_close_before_anything_is_written_journals_nothing_and_one_after_a_write_does()
    {
        // `cmd > file`: the shell closes its descriptor before cmd writes.
        await using var fx = new EngineFixture(configure: o => o with { WriteBackDelay = TimeSpan.FromHours(1) });
        var journal = Path.Combine(fx.CacheDirectory, "journal");
        await using var handle = await fx.Engine.OpenAsync("/out.txt", OpenFlags.Write | OpenFlags.Create | OpenFlags.Truncate, Token);

        await handle.FlushAsync(Token);
        var afterEmptyClose = JournalBytes(journal);
        await handle.WriteAsync(0, "data"u8.ToArray(), Token);
        await handle.FlushAsync(Token);

        Assert.AreEqual(0, afterEmptyClose, "an empty new file was made durable at a close that was not its last");
        var records = Directory.GetFiles(journal, "*.log").SelectMany(JournalLog.Read).ToList();
        Assert.HasCount(1, records, "a close after a write must journal the file");
        CollectionAssert.AreEqual("data"u8.ToArray(), records[0].Inline, "a small file's bytes travel in its record");
    }

    [TestMethod]
    public async Task An_uploaded_file_leaves_no_staging_file_behind_and_reads_back_from_the_store()
    {
        await using var fx = new EngineFixture();
        var staging = Path.Combine(fx.CacheDirectory, "staging");
        var data = new byte[300_000];
        new Random(5).NextBytes(data);
        // Past the staging memory limit, so the open file's copy is a file in the staging folder.
        await fx.WriteFileAsync("/kept-open", "open"u8.ToArray(), Token);
        await using var stillOpen = await fx.Engine.OpenAsync("/kept-open", OpenFlags.ReadWrite, Token);
        await stillOpen.WriteAsync(StagingFile.MemoryLimit, "!"u8.ToArray(), Token);
        await fx.WriteFileAsync("/a", data, Token);
        await fx.WriteFileAsync("/b", "small"u8.ToArray(), Token);

        await fx.Engine.WaitForUploadsAsync(null, Token);
        // The staging files go in the background after the uploads: bounded, not timed.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (Directory.GetFiles(staging).Length > 1 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, Token);
        }

        Assert.HasCount(1, Directory.GetFiles(staging), "only the file still open keeps its staging file");
        CollectionAssert.AreEqual(data, await fx.ReadFileAsync("/a", Token));
        Assert.AreEqual("small", System.Text.Encoding.UTF8.GetString(await fx.ReadFileAsync("/b", Token)));
        Assert.AreEqual(300_000, (await fx.Engine.GetAttributesAsync("/a", Token)).Size);
    }

    [TestMethod]
    public async Task An_attribute_change_right_after_an_upload_shows_in_stat()
    {
        // A closed file whose upload finished stays registered for a while and stat answers from it: the
        // server-side copy that changes its attributes must update it too.
        for (var round = 0; round < 20; round++)
        {
            await using var fx = new EngineFixture();
            await fx.WriteFileAsync("/f.txt", "hello"u8.ToArray(), Token);
            await fx.Engine.WaitForUploadsAsync(null, Token);
            await Task.Delay(20, Token);

            await fx.Engine.SetAttributesAsync("/f.txt", new AttributeChanges { Mode = 0x8000 | 0x124 }, Token);

            Assert.AreEqual(0x8000 | 0x124, (await fx.Engine.GetAttributesAsync("/f.txt", Token)).Mode, $"round {round}");
        }
    }

    [TestMethod]
    public async Task A_conflict_is_last_writer_wins_by_default_and_counted()
    {
        await using var fx = new EngineFixture();

        await OverwriteWhileSomeoneElseChangesItAsync(fx);

        Assert.AreEqual("ours!!!!", await StoredTextAsync(fx.Store, "shared.txt"));
        Assert.AreEqual(1, fx.Engine.GetStatistics().Conflicts);
    }

    [TestMethod]
    public async Task With_keep_both_a_conflict_keeps_theirs_and_uploads_ours_beside_it()
    {
        await using var fx = new EngineFixture(configure: o => o with { ConflictPolicy = ConflictPolicy.KeepBoth });

        await OverwriteWhileSomeoneElseChangesItAsync(fx);

        Assert.AreEqual("theirs", await StoredTextAsync(fx.Store, "shared.txt"));
        var names = (await fx.Engine.ListDirectoryAsync("/", Token)).Select(n => n.Name).ToList();
        var conflict = names.Single(n => n.StartsWith("shared.conflict-", StringComparison.Ordinal));
        StringAssert.EndsWith(conflict, ".txt");
        Assert.AreEqual("ours!!!!", await StoredTextAsync(fx.Store, conflict));
        Assert.AreEqual("theirs", System.Text.Encoding.UTF8.GetString(await fx.ReadFileAsync("/shared.txt", Token)));
    }

    [TestMethod]
    public async Task Fsync_uploads_now_and_reports_the_upload_error()
    {
        var faulty = new FaultInjectingObjectStore(new MemoryObjectStore(), new FaultOptions());
        await using var fx = new EngineFixture(faulty, o => o with { WriteBackDelay = TimeSpan.FromHours(1) });
        await using var handle = await fx.Engine.OpenAsync("/synced", OpenFlags.Write | OpenFlags.Create, Token);
        await handle.WriteAsync(0, new byte[] { 1, 2, 3 }, Token);

        await handle.SyncAsync(Token);
        Assert.AreEqual(3, (await faulty.HeadAsync("synced", Token))?.Size, "fsync waited for the upload despite an hour's write-back delay");

        await handle.WriteAsync(3, new byte[] { 4 }, Token);
        faulty.FailNext(1, ObjectStoreErrorKind.AccessDenied);
        var error = await Assert.ThrowsExactlyAsync<FileSystemException>(() => handle.SyncAsync(Token));
        StringAssert.Contains(error.Message, "upload failed");
        Assert.AreEqual(1, fx.Engine.GetStatistics().FailingUploads);
    }

    [TestMethod]
    public async Task Shutdown_uploads_everything_pending_and_reports_progress()
    {
        var store = new MemoryObjectStore();
        // Counts the files' objects: the directory's metadata index is not written here.
        var fx = new EngineFixture(store, o => o with { WriteBackDelay = TimeSpan.FromHours(1), WriteMetadataIndex = false });
        for (var i = 0; i < 10; i++)
        {
            await fx.WriteFileAsync($"/pending{i}", new byte[1000 + i], Token);
        }

        Assert.AreEqual(0, store.Count, "nothing uploaded yet");
        var reports = new List<UploadProgress>();
        await fx.Engine.ShutdownAsync(new SynchronousProgress(reports), Token);

        Assert.AreEqual(10, store.Count);
        Assert.AreEqual(10, reports[0].FilesPending);
        Assert.AreEqual(0, reports[^1].FilesPending);
        Assert.AreEqual(10, reports[^1].FilesUploaded);
        await fx.DisposeAsync();
    }

    [TestMethod]
    public async Task A_cache_directory_that_cannot_be_created_is_refused_in_words()
    {
        await using var fx = new EngineFixture();
        var aFile = Path.Combine(fx.CacheDirectory, "..", Path.GetRandomFileName());
        await File.WriteAllTextAsync(aFile, "not a folder", Token);
        try
        {
            var error = Assert.ThrowsExactly<FileSystemException>(() => MountEngine.Start(fx.Store, fx.Options(Path.Combine(aFile, "cache"))));

            Assert.AreEqual(FsError.AccessDenied, error.Error);
            StringAssert.Contains(error.Message, "the cache directory cannot be created or written here");
        }
        finally
        {
            File.Delete(aFile);
        }
    }

    [TestMethod]
    public async Task A_second_engine_on_the_same_cache_directory_is_refused()
    {
        await using var fx = new EngineFixture();

        var error = Assert.ThrowsExactly<FileSystemException>(() => MountEngine.Start(fx.Store, fx.Options(fx.CacheDirectory)));

        StringAssert.Contains(error.Message, "in use by another running mount");
    }

    private sealed class SynchronousProgress(List<UploadProgress> reports) : IProgress<UploadProgress>
    {
        public void Report(UploadProgress value)
        {
            lock (reports)
            {
                reports.Add(value);
            }
        }
    }
}
