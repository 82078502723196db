using BucketMount.Backends;
using BucketMount.Backends.Decorators;
using BucketMount.Backends.Memory;

namespace BucketMount.Engine.Tests;

/// <summary>
/// The rollback journal of a database open on the mount ("NAME-journal" beside "NAME", as SQLite names it): its
/// fsync stays local, and the database never stands half-written in the store without it.
/// </summary>
[TestClass]
public sealed class SqliteJournalTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task A_committed_transaction_sends_only_the_database_and_deleting_the_journal_sends_nothing()
    {
        var store = new PutRecordingStore(new MemoryObjectStore());
        await using var fx = new EngineFixture(store, o => o with { WriteBackDelay = TimeSpan.FromSeconds(30), WriteMetadataIndex = false });
        await using var database = await fx.Engine.OpenAsync("/app.db", OpenFlags.ReadWrite | OpenFlags.Create, Token);
        await database.WriteAsync(0, Pages(1, 2), Token);
        await database.SyncAsync(Token);
        var before = store.Memory.Counters.Snapshot();
        var putsBefore = store.Puts.Count;

        // One transaction as SQLite runs it: journal the old pages (two fsyncs), write the database, fsync it, delete the journal.
        var journal = await fx.Engine.OpenAsync("/app.db-journal", OpenFlags.ReadWrite | OpenFlags.Create, Token);
        await journal.WriteAsync(0, Pages(1, 1), Token);
        await journal.SyncAsync(Token);
        await journal.WriteAsync(0, Pages(9, 1), Token);
        await journal.SyncAsync(Token);
        Assert.IsNull(await store.HeadAsync("app.db-journal", Token), "the journal's fsync returned without a request");
        await database.WriteAsync(0, Pages(3, 2), Token);
        await database.SyncAsync(Token);
        await journal.ReleaseAsync(Token);
        await fx.Engine.DeleteFileAsync("/app.db-journal", Token);

        var delta = store.Memory.Counters.Snapshot().Since(before);
        CollectionAssert.AreEqual(new[] { "app.db" }, store.Puts.Skip(putsBefore).ToArray(), "the commit is one PUT of the database");
        Assert.AreEqual(0L, delta.Requests[RequestKind.Delete], "the journal, never sent, needs no DELETE");
        CollectionAssert.AreEqual(Pages(3, 2), await ReadStoredAsync(store, "app.db"));
    }

    [TestMethod]
    public async Task A_database_closed_half_written_reaches_the_store_only_after_its_journal()
    {
        // The program dies between writing the database's pages and its fsync: the kernel closes both files.
        var store = new PutRecordingStore(new MemoryObjectStore());
        await using var fx = new EngineFixture(store, o => o with { WriteMetadataIndex = false });
        var database = await fx.Engine.OpenAsync("/app.db", OpenFlags.ReadWrite | OpenFlags.Create, Token);
        await database.WriteAsync(0, Pages(1, 2), Token);
        await database.SyncAsync(Token);
        var journal = await fx.Engine.OpenAsync("/app.db-journal", OpenFlags.ReadWrite | OpenFlags.Create, Token);
        await journal.WriteAsync(0, Pages(1, 1), Token);
        await journal.SyncAsync(Token);
        await database.WriteAsync(0, Pages(3, 1), Token);

        // The kernel closes the database first; the journal is still open (its close comes next).
        await database.ReleaseAsync(Token);
        for (var i = 0; i < 100 && store.Puts.Count(k => k == "app.db") < 2; i++)
        {
            await Task.Delay(100, Token);
        }

        var puts = store.Puts.ToList();
        TestContext.WriteLine(string.Join(", ", puts));
        var databaseAt = puts.LastIndexOf("app.db");
        Assert.AreEqual(2, puts.Count(k => k == "app.db"), "the half-written database is uploaded after its close");
        var journalAt = puts.IndexOf("app.db-journal");
        Assert.IsTrue(journalAt >= 0 && journalAt < databaseAt, "the hot journal reached the store before the half-written database");
        await journal.ReleaseAsync(Token);
    }

    private static byte[] Pages(byte fill, int count) => Enumerable.Repeat(fill, 4096 * count).ToArray();

    private async Task<byte[]> ReadStoredAsync(IObjectStore store, string key)
    {
        var info = (await store.HeadAsync(key, Token))!;
        var data = new byte[info.Size];
        await store.ReadAsync(key, 0, data, null, Token);
        return data;
    }

    /// <summary>The keys of PUTs, in the order they completed.</summary>
    private sealed class PutRecordingStore(MemoryObjectStore inner) : ObjectStoreDecorator(inner)
    {
        private readonly List<string> _puts = [];

        public MemoryObjectStore Memory => inner;

        public IReadOnlyList<string> Puts
        {
            get
            {
                lock (_puts)
                {
                    return [.. _puts];
                }
            }
        }

        public override async Task<ObjectInfo> PutAsync(string key, Stream content, PutOptions? options, CancellationToken cancellationToken) =>
            Record(key, await base.PutAsync(key, content, options, cancellationToken));

        public override async Task<ObjectInfo> UploadAsync(string key, IUploadSource source, UploadOptions? options, CancellationToken cancellationToken) =>
            Record(key, await base.UploadAsync(key, source, options, cancellationToken));

        private ObjectInfo Record(string key, ObjectInfo info)
        {
            lock (_puts)
            {
                _puts.Add(key);
            }

            return info;
        }
    }
}
