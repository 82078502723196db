using System.Text.Json;
using BucketMount.TestSupport;

namespace BucketMount.Mount.Tests;

/// <summary>
/// sqlite3 on the mount over s3rver: what its transactions cost in requests, and that a sandbox destroyed right
/// after the program returned (the mount killed, its cache gone) still finds every committed transaction in an
/// intact database.
/// </summary>
[TestClass]
public sealed class SqliteMountTests
{
    private const int Transactions = 20;
    private string _root = null!;

    public TestContext TestContext { get; set; } = null!;

    private string MountPoint => Path.Combine(_root, "mnt");

    private string Cache => Path.Combine(_root, "cache");

    private string Work => Path.Combine(_root, "work");

    [TestInitialize]
    public void CreateRoot()
    {
        _root = Directory.CreateTempSubdirectory("bucketmount-sqlite-").FullName;
        Directory.CreateDirectory(Work);
    }

    [TestCleanup]
    public async Task DeleteRoot() => await Shell.RunAsync($"fusermount3 -u -z '{MountPoint}' 2>/dev/null; rm -rf '{_root}'");

    [TestMethod]
    [DataRow("DELETE", DisplayName = "rollback journal (the default): the journal never needs the store")]
    [DataRow("WAL", DisplayName = "WAL")]
    public async Task Each_commit_is_in_the_store_when_it_returns_at_most_3_requests_per_transaction(string journalMode)
    {
        var remote = await CreateRemoteAsync();
        await WriteScriptAsync(journalMode);
        await using (var mount = await MountProcess.StartAsync(remote, MountPoint, Cache))
        {
            await Shell.MustAsync($"sqlite3 '{MountPoint}/t.db' 'PRAGMA journal_mode={journalMode}; CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);'");
            var before = await RequestsAsync();
            await Shell.MustAsync($"sqlite3 '{MountPoint}/t.db' < '{Work}/tx.sql'", timeout: TimeSpan.FromMinutes(5));
            var requests = await RequestsAsync() - before;
            TestContext.WriteLine($"{journalMode}: {requests} requests for {Transactions} transactions (opening and closing the database included)");
            Assert.IsLessThanOrEqualTo(3L * Transactions, requests, $"{requests} requests for {Transactions} transactions");

            // The sandbox dies the moment sqlite3 returned: nothing still queued locally may be needed.
            await mount.KillAsync();
        }

        await AssertIntactAfterEmptyCacheRemountAsync(remote, 10 * Transactions);
    }

    [TestMethod]
    public async Task With_a_sync_window_commits_cost_no_request_and_reach_the_store_within_the_window()
    {
        var remote = await CreateRemoteAsync();
        await WriteScriptAsync("DELETE");
        await using (var mount = await MountProcess.StartAsync(remote, MountPoint, Cache, "--sync-window", "3"))
        {
            await Shell.MustAsync($"sqlite3 '{MountPoint}/t.db' 'CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);'");
            var before = await RequestsAsync();
            await Shell.MustAsync($"sqlite3 '{MountPoint}/t.db' < '{Work}/tx.sql'", timeout: TimeSpan.FromMinutes(5));
            var requests = await RequestsAsync() - before;
            TestContext.WriteLine($"--sync-window 3: {requests} requests while {Transactions} transactions ran");
            Assert.IsLessThanOrEqualTo(4L, requests, $"{requests} requests for {Transactions} transactions: each commit should stay local until the window ends");

            // Within the window (bounded wait), the database is uploaded: then the sandbox dies.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (await PendingUploadsAsync() > 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }

            Assert.AreEqual(0L, await PendingUploadsAsync(), "the database should be in the store once the window ended");
            await mount.KillAsync();
        }

        await AssertIntactAfterEmptyCacheRemountAsync(remote, 10 * Transactions);
    }

    private async Task AssertIntactAfterEmptyCacheRemountAsync(string remote, int rows)
    {
        Directory.Delete(Cache, recursive: true);
        await using var again = await MountProcess.StartAsync(remote, MountPoint, Cache);
        var result = await Shell.MustAsync($"sqlite3 '{MountPoint}/t.db' 'PRAGMA integrity_check; SELECT count(*) FROM t;'");
        Assert.AreEqual($"ok\n{rows}", result.Trim());
        await again.UnmountAsync();
    }

    private async Task WriteScriptAsync(string journalMode)
    {
        var script = new System.Text.StringBuilder($"PRAGMA journal_mode={journalMode};\n");
        script.Append("CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v TEXT);\n");
        for (var i = 0; i < Transactions; i++)
        {
            script.Append("BEGIN;\n");
            for (var j = 0; j < 10; j++)
            {
                script.Append($"INSERT INTO t(v) VALUES('row {i}-{j}');\n");
            }

            script.Append("COMMIT;\n");
        }

        await File.WriteAllTextAsync(Path.Combine(Work, "tx.sql"), script.ToString());
    }

    private async Task<string> CreateRemoteAsync()
    {
        var emulator = await Emulators.S3rver;
        var bucket = await S3Buckets.CreateBucketAsync(emulator, TestContext.CancellationTokenSource.Token);
        return $"s3://{bucket}/db?endpoint={emulator.Endpoint}&path_style&list_version=1&conditional_writes=false&conditional_reads=false&batch_delete=false";
    }

    private async Task<JsonElement> StatisticsAsync()
    {
        using var json = JsonDocument.Parse(await Shell.MustAsync($"{Cli.Shell} status '{MountPoint}' --json"));
        return json.RootElement[0].GetProperty("statistics").Clone();
    }

    private async Task<long> RequestsAsync() =>
        (await StatisticsAsync()).GetProperty("Store").GetProperty("Requests").EnumerateObject().Sum(p => p.Value.GetInt64());

    /// <summary>Files whose change is not in the store yet.</summary>
    private async Task<long> PendingUploadsAsync() => (await StatisticsAsync()).GetProperty("DirtyFiles").GetInt64();
}
