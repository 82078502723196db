using BucketMount.Backends.Remotes;
using BucketMount.TestSupport;

namespace BucketMount.Mount.Tests;

/// <summary>
/// Real programs on a real FUSE mount of the CLI, checked against the store after unmount. Each test gets fresh
/// folders; subclasses choose the store.
/// </summary>
public abstract class MountScenarioTests
{
    private string _root = null!;

    public TestContext TestContext { get; set; } = null!;

    protected string Work => Path.Combine(_root, "work");

    protected string MountPoint => Path.Combine(_root, "mnt");

    protected string Cache => Path.Combine(_root, "cache");

    /// <summary>A remote for a fresh, empty bucket.</summary>
    protected abstract Task<string> CreateRemoteAsync(string root);

    /// <summary>Mount options this store needs for the scenarios (e.g. exact mtimes where listings carry none).</summary>
    protected virtual string[] StoreMountArguments => [];

    /// <summary>The store takes parts before an object's length is known (S3), so large files go while written.</summary>
    protected virtual bool PartUploads => false;

    [TestInitialize]
    public void CreateFolders()
    {
        _root = Directory.CreateTempSubdirectory("bucketmount-e2e-").FullName;
        Directory.CreateDirectory(Work);
    }

    [TestCleanup]
    public async Task DeleteFolders()
    {
        await Shell.RunAsync($"fusermount3 -u -z '{MountPoint}' 2>/dev/null; rm -rf '{_root}'");
    }

    private protected async Task<MountProcess> MountAsync(string remote, params string[] extra) =>
        await MountProcess.StartAsync(remote, MountPoint, Cache, [.. StoreMountArguments, .. extra]);

    [TestMethod]
    public async Task Cp_of_a_200_MiB_file_keeps_its_checksum_through_unmount_and_remount()
    {
        var remote = await CreateRemoteAsync(_root);
        await Shell.MustAsync($"head -c 209715200 /dev/urandom > '{Work}/big.bin'");
        var expected = (await Shell.MustAsync($"sha256sum < '{Work}/big.bin'")).Split(' ')[0];

        await using (var mount = await MountAsync(remote))
        {
            await Shell.MustAsync($"cp '{Work}/big.bin' '{MountPoint}/big.bin'");
            Assert.AreEqual(expected, (await Shell.MustAsync($"sha256sum < '{MountPoint}/big.bin'")).Split(' ')[0]);
            await mount.UnmountAsync();
        }

        Directory.Delete(Cache, recursive: true);
        await using (var again = await MountAsync(remote))
        {
            Assert.AreEqual(expected, (await Shell.MustAsync($"sha256sum < '{MountPoint}/big.bin'")).Split(' ')[0]);
            await again.UnmountAsync();
        }
    }

    [TestMethod]
    public async Task Large_files_written_in_order_are_sent_while_written_and_cp_p_keeps_their_times()
    {
        var remote = await CreateRemoteAsync(_root);
        await Shell.MustAsync($"head -c 31457280 /dev/urandom > '{Work}/a.bin' && touch -d '2011-12-13 14:15:16' '{Work}/a.bin'");
        var expected = (await Shell.MustAsync($"sha256sum < '{Work}/a.bin'")).Split(' ')[0];

        await using (var mount = await MountAsync(remote))
        {
            await Shell.MustAsync($"cp '{Work}/a.bin' '{MountPoint}/plain.bin' && cp -p '{Work}/a.bin' '{MountPoint}/kept.bin' && dd if='{Work}/a.bin' of='{MountPoint}/dd.bin' bs=1M status=none");
            var (streamed, done) = (0L, 0L);
            for (var i = 0; i < 120 && done < 3; i++)
            {
                using var json = System.Text.Json.JsonDocument.Parse(await Shell.MustAsync($"{Cli.Shell} status '{MountPoint}' --json"));
                var statistics = json.RootElement[0].GetProperty("statistics");
                (streamed, done) = (statistics.GetProperty("StreamedUploads").GetInt64(), statistics.GetProperty("UploadsDone").GetInt64());
                await Task.Delay(500);
            }

            Assert.AreEqual(3L, done);
            Assert.AreEqual(PartUploads ? 3L : 0L, streamed, "cp, cp -p and dd of 30 MiB each were sent while written where the store can");
            await mount.UnmountAsync();
        }

        Directory.Delete(Cache, recursive: true);
        await using var again = await MountAsync(remote);
        Assert.AreEqual($"{expected}\n{expected}\n{expected}\n", await Shell.MustAsync("for f in plain kept dd; do sha256sum < $f.bin | cut -d' ' -f1; done", MountPoint));
        Assert.AreEqual("1323785716\n", await Shell.MustAsync("stat -c %Y kept.bin", MountPoint), "cp -p's time survives (set by a copy in the store)");
        await again.UnmountAsync();
    }

    [TestMethod]
    public async Task Tar_extracts_a_real_npm_package_and_packs_it_back_identically()
    {
        var remote = await CreateRemoteAsync(_root);
        var package = Path.Combine(FindRepository(), "tests", "emulators", "node_modules", "lodash");
        Assert.IsTrue(Directory.Exists(package), "lodash is installed by the test script's npm ci");
        await Shell.MustAsync($"tar -C '{Path.GetDirectoryName(package)}' -cf '{Work}/lodash.tar' lodash");

        await using var mount = await MountAsync(remote);
        await Shell.MustAsync($"tar -C '{MountPoint}' -xf '{Work}/lodash.tar'", timeout: TimeSpan.FromMinutes(10));
        await Shell.MustAsync($"tar -C '{MountPoint}' -cf '{Work}/back.tar' lodash && mkdir '{Work}/back' && tar -C '{Work}/back' -xf '{Work}/back.tar'");
        await Shell.MustAsync($"diff -r '{package}' '{Work}/back/lodash'");
        var count = int.Parse((await Shell.MustAsync($"find '{MountPoint}/lodash' -type f | wc -l")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.IsGreaterThan(1000, count);
        await mount.UnmountAsync();
    }

    [TestMethod]
    public async Task Rsync_archive_in_and_back_preserves_content_and_times()
    {
        var remote = await CreateRemoteAsync(_root);
        await Shell.MustAsync($"mkdir -p '{Work}/src/a/b' && for i in $(seq 1 40); do head -c $((i * 997)) /dev/urandom > '{Work}/src/a/f$i'; done && echo deep > '{Work}/src/a/b/deep.txt' && touch -d '2001-02-03 04:05:06' '{Work}/src/a/f1'");

        await using (var mount = await MountAsync(remote))
        {
            await Shell.MustAsync($"rsync -a '{Work}/src/' '{MountPoint}/dst/'");
            await mount.UnmountAsync();
        }

        Directory.Delete(Cache, recursive: true);
        await using (var again = await MountAsync(remote))
        {
            await Shell.MustAsync($"rsync -a '{MountPoint}/dst/' '{Work}/back/'");
            await Shell.MustAsync($"diff -r '{Work}/src' '{Work}/back'");
            var changes = await Shell.MustAsync($"rsync -a --dry-run --itemize-changes '{Work}/src/' '{MountPoint}/dst/' | grep -v '^\\.d' || true");
            Assert.AreEqual("", changes.Trim(), "rsync sees nothing to update: sizes and mtimes survived");
            await again.UnmountAsync();
        }
    }

    [TestMethod]
    public async Task Sqlite_creates_a_database_with_ten_thousand_rows_and_queries_it()
    {
        var remote = await CreateRemoteAsync(_root);
        await using var mount = await MountAsync(remote);
        var script = "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, value REAL);" +
            string.Concat(Enumerable.Range(0, 10).Select(batch =>
                "BEGIN;" + string.Concat(Enumerable.Range(batch * 1000, 1000).Select(i => $"INSERT INTO t(name, value) VALUES('row{i}', {i}.5);")) + "COMMIT;"));
        await File.WriteAllTextAsync(Path.Combine(Work, "fill.sql"), script);

        await Shell.MustAsync($"sqlite3 '{MountPoint}/test.db' < '{Work}/fill.sql'", timeout: TimeSpan.FromMinutes(10));
        var result = await Shell.MustAsync($"sqlite3 '{MountPoint}/test.db' 'SELECT count(*), sum(value) FROM t WHERE name LIKE \"row%\"; PRAGMA integrity_check;'");

        StringAssert.StartsWith(result, "10000|50000000.0");
        StringAssert.Contains(result, "ok");
        await mount.UnmountAsync();
        await using var again = await MountAsync(remote);
        Assert.AreEqual("10000", (await Shell.MustAsync($"sqlite3 '{MountPoint}/test.db' 'SELECT count(*) FROM t;'")).Trim());
        await again.UnmountAsync();
    }

    [TestMethod]
    public async Task Git_init_add_commit_and_log_work_in_a_repository_on_the_mount()
    {
        var remote = await CreateRemoteAsync(_root);
        await using var mount = await MountAsync(remote);

        await Shell.MustAsync("git init -q repo && cd repo && git config user.email t@example.com && git config user.name Tester " +
            "&& echo one > a.txt && mkdir sub && echo two > sub/b.txt && git add -A && git commit -qm first " +
            "&& echo three >> a.txt && git commit -qam second && git log --oneline | wc -l > ../count && git fsck --full", MountPoint);

        Assert.AreEqual("2", (await File.ReadAllTextAsync(Path.Combine(MountPoint, "count"))).Trim());
        await mount.UnmountAsync();
        await using var again = await MountAsync(remote);
        StringAssert.Contains(await Shell.MustAsync("git log --format=%s", Path.Combine(MountPoint, "repo")), "second");
        await again.UnmountAsync();
    }

    [TestMethod]
    public async Task Mv_of_directories_rm_rf_appends_and_two_concurrent_writers()
    {
        var remote = await CreateRemoteAsync(_root);
        await using var mount = await MountAsync(remote);

        await Shell.MustAsync("mkdir -p a/b/c && echo x > a/b/c/f && echo y > a/top && mv a moved && test -f moved/b/c/f && test ! -e a", MountPoint);
        await Shell.MustAsync("for i in 1 2 3; do echo line$i >> log.txt; done && test \"$(cat log.txt | wc -l)\" = 3", MountPoint);
        await Shell.MustAsync("(for i in $(seq 1 200); do echo w1-$i >> one.txt; done) & (for i in $(seq 1 200); do echo w2-$i >> two.txt; done) & wait", MountPoint);
        await Shell.MustAsync("test $(wc -l < one.txt) = 200 && test $(wc -l < two.txt) = 200 && grep -c w1- one.txt && ! grep -q w2- one.txt", MountPoint);
        await Shell.MustAsync("rm -rf moved && test ! -e moved && ls", MountPoint);
        await mount.UnmountAsync();

        await using var again = await MountAsync(remote);
        Assert.AreEqual("line1\nline2\nline3\n", await File.ReadAllTextAsync(Path.Combine(MountPoint, "log.txt")));
        Assert.IsFalse(Directory.Exists(Path.Combine(MountPoint, "moved")));
        await again.UnmountAsync();
    }

    [TestMethod]
    public async Task A_tree_survives_unmount_cache_deletion_and_a_new_process_with_bytes_and_mtimes()
    {
        var remote = await CreateRemoteAsync(_root);
        const string listing = "find . -type f -printf '%p %s %T@\\n' | sort && find . -type f -exec sha256sum {} + | sort";
        string before;
        await using (var mount = await MountAsync(remote))
        {
            await Shell.MustAsync("mkdir -p d1/d2 && for i in $(seq 1 30); do head -c $((i * 3001)) /dev/urandom > d1/f$i; done && cp d1/f3 d1/d2/copy && touch -d '1999-12-31 23:59:58.123456789' d1/f7", MountPoint);
            before = await Shell.MustAsync(listing, MountPoint);
            await mount.UnmountAsync();
        }

        Directory.Delete(Cache, recursive: true);
        await using var again = await MountAsync(remote);
        Assert.AreEqual(before, await Shell.MustAsync(listing, MountPoint));
        await again.UnmountAsync();
    }

    [TestMethod]
    public async Task Files_closed_before_kill_9_arrive_after_mounting_again()
    {
        var remote = await CreateRemoteAsync(_root);
        string expected;
        await using (var mount = await MountAsync(remote, "--write-back-delay", "3600"))
        {
            await Shell.MustAsync("mkdir crash && for i in $(seq 1 20); do head -c $((i * 5003)) /dev/urandom > crash/f$i; done", MountPoint);
            expected = await Shell.MustAsync("sha256sum crash/* | sort", MountPoint);
            await mount.KillAsync();
        }

        await using var again = await MountAsync(remote);
        await again.UnmountAsync();
        Directory.Delete(Cache, recursive: true);
        await using var fresh = await MountAsync(remote);
        Assert.AreEqual(expected, await Shell.MustAsync("sha256sum crash/* | sort", MountPoint));
        await fresh.UnmountAsync();
    }

    [TestMethod]
    public async Task Sigterm_uploads_pending_files_before_the_process_exits()
    {
        var remote = await CreateRemoteAsync(_root);
        await using (var mount = await MountAsync(remote, "--write-back-delay", "3600"))
        {
            await Shell.MustAsync("echo pending > late.txt", MountPoint);
            var errors = await mount.TerminateAsync();
            StringAssert.Contains(errors, "every change is in the store");
        }

        Directory.Delete(Cache, recursive: true);
        await using var again = await MountAsync(remote);
        Assert.AreEqual("pending\n", await File.ReadAllTextAsync(Path.Combine(MountPoint, "late.txt")));
        await again.UnmountAsync();
    }

    [TestMethod]
    public async Task Ls_l_of_2000_objects_written_directly_to_the_bucket_costs_listing_pages_once_a_mount_indexed_them()
    {
        var remote = await CreateRemoteAsync(_root);
        await using (var store = ObjectStoreFactory.Create(RemoteUri.Parse(remote)))
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, 2000), new ParallelOptions { MaxDegreeOfParallelism = 8 },
                async (i, ct) => await store.PutAsync($"many/file{i:D4}.txt", new MemoryStream([(byte)i]), null, ct));
        }

        // The first look at objects no mount wrote asks each one its metadata where the listing carries none (S3), and
        // writes the directory's metadata index; from then on ls -l costs the listing and that index.
        await using (var first = await MountProcess.StartAsync(remote, MountPoint, Cache))
        {
            Assert.AreEqual("2000", (await Shell.MustAsync("ls -l many | tail -n +2 | wc -l", MountPoint)).Trim());
            await first.UnmountAsync();
        }

        Directory.Delete(Cache, recursive: true);
        await using var mount = await MountProcess.StartAsync(remote, MountPoint, Cache);
        var lines = (await Shell.MustAsync("ls -l many | tail -n +2 | wc -l", MountPoint)).Trim();
        var status = await Shell.MustAsync($"{Cli.Shell} status '{MountPoint}' --json");

        Assert.AreEqual("2000", lines);
        using var json = System.Text.Json.JsonDocument.Parse(status);
        var requests = json.RootElement[0].GetProperty("statistics").GetProperty("Store").GetProperty("Requests");
        Assert.IsLessThanOrEqualTo(4L, requests.GetProperty("Head").GetInt64(), status);
        Assert.IsLessThanOrEqualTo(6L, requests.GetProperty("List").GetInt64(), status);
        Assert.IsLessThanOrEqualTo(1L, requests.GetProperty("Get").GetInt64(), "at most the index: " + status);
        await mount.UnmountAsync();
    }

    [TestMethod]
    public async Task A_re_read_of_an_unchanged_file_stays_in_the_kernel_and_a_changed_object_is_read_anew()
    {
        var remote = await CreateRemoteAsync(_root);
        var first = new byte[3 * 1024 * 1024];
        var second = new byte[first.Length];
        new Random(1).NextBytes(first);
        new Random(2).NextBytes(second);
        await using var store = ObjectStoreFactory.Create(RemoteUri.Parse(remote));
        await store.PutAsync("doc.bin", new MemoryStream(first), null, CancellationToken.None);
        // The TTL must outlast the status call between the two reads (a Debug CLI start, slow on a loaded CI
        // machine): a re-read after the TTL expired is a different case, not what this test claims (see issue 6).
        await using var mount = await MountProcess.StartAsync(remote, MountPoint, Cache, "--metadata-ttl", "4");
        var file = Path.Combine(MountPoint, "doc.bin");

        CollectionAssert.AreEqual(first, await File.ReadAllBytesAsync(file));
        var hitsBefore = await MemoryCacheHitsAsync();
        CollectionAssert.AreEqual(first, await File.ReadAllBytesAsync(file));
        var hitsAfter = await MemoryCacheHitsAsync();
        await store.PutAsync("doc.bin", new MemoryStream(second), null, CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(4.5));
        var changed = await File.ReadAllBytesAsync(file);

        // A re-read whose page cache was dropped asks for the whole file again: 24 reads of 128 KiB. This kernel
        // (6.18 under Firecracker) sometimes loses a few single 4 KiB pages between reads even with the cache kept
        // and nothing invalidated (traced: issue 6), so up to 6 single reads may reach the engine; more means the
        // page cache was not kept.
        Assert.IsLessThanOrEqualTo(6L, hitsAfter - hitsBefore, $"the second read of an unchanged file reached the engine {hitsAfter - hitsBefore} times");
        CollectionAssert.AreEqual(second, changed, "the kernel served the old version after the object changed");
        await mount.UnmountAsync();
    }

    private async Task<long> MemoryCacheHitsAsync()
    {
        using var json = System.Text.Json.JsonDocument.Parse(await Shell.MustAsync($"{Cli.Shell} status '{MountPoint}' --json"));
        return json.RootElement[0].GetProperty("statistics").GetProperty("MemoryCacheHits").GetInt64();
    }

    [TestMethod]
    public async Task Chmod_chown_and_mtimes_persist_in_object_metadata_across_a_remount()
    {
        var remote = await CreateRemoteAsync(_root);
        await using (var mount = await MountAsync(remote))
        {
            await Shell.MustAsync("echo x > f && chmod 640 f && chown 1234:5678 f && touch -d '2010-01-02 03:04:05' f && echo y > g && chmod 755 g", MountPoint);
            await mount.UnmountAsync();
        }

        Directory.Delete(Cache, recursive: true);
        await using var again = await MountAsync(remote);
        Assert.AreEqual("640 1234 5678 1262401445\n755\n", await Shell.MustAsync("stat -c '%a %u %g %Y' f && stat -c %a g", MountPoint));
        await again.UnmountAsync();
    }

    [TestMethod]
    public async Task Daemon_mode_returns_once_mounted_and_unmount_waits_for_uploads()
    {
        var remote = await CreateRemoteAsync(_root);
        Directory.CreateDirectory(MountPoint);
        var extra = string.Join(' ', StoreMountArguments.Select(a => $"'{a}'"));
        await Shell.MustAsync($"{Cli.Shell} mount '{remote}' '{MountPoint}' --cache-dir '{Cache}' --daemon --write-back-delay 3600 {extra}", timeout: TimeSpan.FromMinutes(2));
        var pid = 0;
        try
        {
            Assert.IsTrue(MountProcess.IsMounted(MountPoint), "mounted when --daemon returned");
            using (var status = System.Text.Json.JsonDocument.Parse(await Shell.MustAsync($"{Cli.Shell} status '{MountPoint}' --json")))
            {
                pid = status.RootElement[0].GetProperty("pid").GetInt32();
            }

            await Shell.MustAsync("echo daemon > d.txt", MountPoint);
            StringAssert.Contains(await Shell.MustAsync($"{Cli.Shell} unmount '{MountPoint}'"), "every change is in the store");
            Assert.IsFalse(MountProcess.IsMounted(MountPoint));
        }
        finally
        {
            // The background mount is stopped by its PID (from status) whatever happened above.
            await Shell.RunAsync($"fusermount3 -u -z '{MountPoint}' 2>/dev/null; {(pid > 0 ? $"kill -9 {pid} 2>/dev/null" : "true")}; true");
        }

        Directory.Delete(Cache, recursive: true);
        await using var again = await MountAsync(remote);
        Assert.AreEqual("daemon\n", await File.ReadAllTextAsync(Path.Combine(MountPoint, "d.txt")));
        await again.UnmountAsync();
    }

    [TestMethod]
    public async Task Hard_links_make_copies_and_symlinks_work()
    {
        var remote = await CreateRemoteAsync(_root);
        await using var mount = await MountAsync(remote);
        await Shell.MustAsync("echo a > a", MountPoint);

        await Shell.MustAsync("ln a b && test \"$(cat b)\" = a", MountPoint); // a hard link is a copy (HardLinkMountTests)
        await Shell.MustAsync("ln -s a link && test \"$(readlink link)\" = a && test \"$(cat link)\" = a", MountPoint);
        await mount.UnmountAsync();
    }

    protected static string FindRepository()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Mount.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir ?? throw new InvalidOperationException("cannot find the repository root");
    }
}

/// <summary>
/// The scenarios on s3rver over HTTP. S3 listings carry no metadata; exact attributes after a remount with an empty
/// cache come from the directories' metadata indexes (see MetadataRemountTests).
/// </summary>
[TestClass]
public sealed class S3rverMountTests : MountScenarioTests
{
    protected override bool PartUploads => true;

    protected override async Task<string> CreateRemoteAsync(string root)
    {
        var emulator = await Emulators.S3rver;
        var bucket = await S3Buckets.CreateBucketAsync(emulator, CancellationToken.None);
        return $"s3://{bucket}/mounted?endpoint={emulator.Endpoint}&path_style&list_version=1&conditional_writes=false&conditional_reads=false&batch_delete=false";
    }
}

[TestClass]
public sealed class LocalStoreMountTests : MountScenarioTests
{
    protected override Task<string> CreateRemoteAsync(string root)
    {
        var store = Path.Combine(root, "store");
        Directory.CreateDirectory(store);
        return Task.FromResult("file://" + store);
    }
}

/// <summary>The scenarios on Azurite, through the Blob REST client (Shared Key from AZURE_STORAGE_KEY, set for the whole run).</summary>
[TestClass]
public sealed class AzuriteMountTests : MountScenarioTests
{
    protected override async Task<string> CreateRemoteAsync(string root)
    {
        var options = await AzuriteContainers.CreateAsync(CancellationToken.None);
        return $"az://{options.Account}/{options.Container}/mounted?endpoint={options.Endpoint}";
    }
}
