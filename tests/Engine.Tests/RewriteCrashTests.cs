using System.Diagnostics;
using BucketMount.Backends.Local;
using BucketMount.Engine.CrashChild;

namespace BucketMount.Engine.Tests;

/// <summary>
/// What close returned for survives a crash exactly, even when the file was being rewritten: a child process closes
/// a file over the journal's inline limit (its record names the staging file), rewrites it before its upload, is
/// killed hard mid-rewrite, and a new engine on the same cache directory uploads the closed bytes, never the
/// rewrite's nor a mix. And a crash leaves no staging file behind for good.
/// </summary>
[TestClass]
public sealed class RewriteCrashTests
{
    private const int KiB = 1024;
    private const int MiB = 1024 * 1024;

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public Task A_shorter_rewrite_with_truncate_cut_short_by_a_kill_leaves_the_closed_file() =>
        RunAsync(new RewriteScenario(HoldUploads: false, SizeA: 1 * MiB, Truncate: true, OffsetB: 0, SizeB: 300_000, SizeC: null));

    [TestMethod]
    public Task A_longer_rewrite_with_truncate_cut_short_by_a_kill_leaves_the_closed_file() =>
        RunAsync(new RewriteScenario(HoldUploads: false, SizeA: 1 * MiB, Truncate: true, OffsetB: 0, SizeB: 2 * MiB, SizeC: null));

    [TestMethod]
    public Task A_rewrite_before_a_multipart_upload_commits_cut_short_by_a_kill_leaves_the_closed_file() =>
        RunAsync(new RewriteScenario(HoldUploads: true, SizeA: 12 * MiB, Truncate: true, OffsetB: 0, SizeB: 6 * MiB, SizeC: null));

    [TestMethod]
    public Task An_overwrite_in_place_cut_short_by_a_kill_leaves_the_closed_file() =>
        RunAsync(new RewriteScenario(HoldUploads: false, SizeA: 1 * MiB, Truncate: false, OffsetB: 4000, SizeB: 200 * KiB, SizeC: null));

    [TestMethod]
    public Task A_closed_rewrite_is_what_a_later_unfinished_rewrite_leaves() =>
        RunAsync(new RewriteScenario(HoldUploads: false, SizeA: 1 * MiB, Truncate: true, OffsetB: 0, SizeB: 700_000, SizeC: 200 * KiB));

    [TestMethod]
    public async Task Staging_files_of_files_never_closed_are_removed_at_the_next_start()
    {
        var (root, storeFolder, cacheFolder) = NewFolders();
        try
        {
            await RunChildUntilAsync(["unclosed", (3 * MiB).ToString(System.Globalization.CultureInfo.InvariantCulture)], "WRITING", storeFolder, cacheFolder);
            var staging = Path.Combine(cacheFolder, "staging");
            var left = Directory.GetFiles(staging).Sum(f => new FileInfo(f).Length);
            Assert.IsGreaterThanOrEqualTo(3L * MiB, left, "the child's unclosed file was on disk in the cache when it was killed");

            var store = new LocalFolderStore(storeFolder);
            await using (var engine = MountEngine.Start(store, new EngineOptions { CacheDirectory = cacheFolder }))
            {
                Assert.IsEmpty(engine.RecoveredPaths, "nothing was closed, so nothing is recovered");
                Assert.IsEmpty(Directory.GetFiles(staging), "the next start removed what no journal record owns");
                Assert.AreEqual(new Writing.LeftoverStaging(1, left), engine.RemovedLeftovers, "the start says what it removed");
            }

            Assert.IsNull(await store.HeadAsync("work/open.bin", Token), "bytes never closed are never uploaded");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private async Task RunAsync(RewriteScenario scenario)
    {
        var (root, storeFolder, cacheFolder) = NewFolders();
        try
        {
            await RunChildUntilAsync([.. scenario.Arguments()], "REWRITING", storeFolder, cacheFolder);
            var store = new LocalFolderStore(storeFolder);
            Assert.IsNull(await store.HeadAsync("work/file.bin", Token), "the closed file was still waiting for its upload when the child was killed");

            var expected = scenario.LastClosed();
            await using (var engine = MountEngine.Start(store, new EngineOptions { CacheDirectory = cacheFolder }))
            {
                CollectionAssert.AreEqual(new[] { RewriteScenario.Path }, engine.RecoveredPaths.ToArray());
                var attributes = await engine.GetAttributesAsync(RewriteScenario.Path, Token);
                Assert.AreEqual(expected.Length, attributes.Size, "the recovered file has the size close returned for");
                await engine.WaitForUploadsAsync(null, Token);
            }

            using var stored = new MemoryStream();
            await store.ReadToAsync("work/file.bin", 0, null, stored, null, Token);
            Assert.AreEqual(expected.Length, stored.Length, "the store holds the size close returned for");
            Assert.IsTrue(expected.AsSpan().SequenceEqual(stored.ToArray()), "the store holds exactly the bytes close returned for");
            Assert.IsEmpty(Directory.GetFiles(Path.Combine(cacheFolder, "staging")), "no staging file is left once everything is uploaded");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static (string Root, string Store, string Cache) NewFolders()
    {
        var root = Directory.CreateTempSubdirectory("bucketmount-rewrite-crash-").FullName;
        var store = Path.Combine(root, "store");
        Directory.CreateDirectory(store);
        return (root, store, Path.Combine(root, "cache"));
    }

    /// <summary>Starts the crash child, waits for it to print <paramref name="ready"/>, and kills it hard (SIGKILL: no finally, no flush, no dispose).</summary>
    private async Task RunChildUntilAsync(string[] arguments, string ready, string storeFolder, string cacheFolder)
    {
        var child = Path.Combine(AppContext.BaseDirectory, "BucketMount.Engine.CrashChild.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { child, storeFolder, cacheFolder }.Concat(arguments))
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the crash child");
        try
        {
            var line = await process.StandardOutput.ReadLineAsync(Token).AsTask().WaitAsync(TimeSpan.FromSeconds(60), Token);
            Assert.AreEqual(ready, line, "the child got ready; stderr: " + (process.HasExited ? await process.StandardError.ReadToEndAsync(Token) : ""));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(Token);
        }
    }
}
