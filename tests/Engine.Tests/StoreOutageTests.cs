using BucketMount.Backends;
using BucketMount.Backends.Decorators;
using BucketMount.Backends.Memory;
using BucketMount.Engine.Diagnostics;
using BucketMount.TestSupport;

namespace BucketMount.Engine.Tests;

/// <summary>
/// The store goes away for a while and comes back (<see cref="FaultInjectingObjectStore.Unreachable"/>): writes land
/// in the cache, what the mount knows keeps being answered, uploads never give up and resume once the store answers,
/// and the log says so in a few lines. Verdicts wait for conditions with generous bounds; none measures time.
/// </summary>
[TestClass]
public sealed class StoreOutageTests
{
    private const int Files = 12;

    // Far above what the conditions take with the fix (seconds); without it they take minutes.
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    private static async Task WaitUntilAsync(Func<bool> condition, string what, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"not within {Bound.TotalSeconds} s: {what}");
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>Writes <see cref="Files"/> files while the store is away and waits until each upload failed three times.</summary>
    private async Task<(FaultInjectingObjectStore Faulty, MemoryObjectStore Memory, EngineFixture Fixture)> WriteDuringAnOutageAsync(CountingLogger? log = null)
    {
        var memory = new MemoryObjectStore();
        var faulty = new FaultInjectingObjectStore(memory, new FaultOptions());
        // These tests count the files' objects in the store: no metadata index is written beside them.
        var fx = new EngineFixture(faulty, o => o with { WriteMetadataIndex = false }, loggers: log);
        await fx.Engine.ListDirectoryAsync("/", Token); // As the shell did before: new names are created in a known directory.
        faulty.Unreachable = true;
        for (var i = 0; i < Files; i++)
        {
            await fx.WriteFileAsync($"/f{i}", new byte[100 + i], Token);
        }

        // A long outage as the uploads see it. The pause used to grow with the mount's lifetime count of failures
        // (10 s, 20 s, ... 300 s), so three failures of twelve files took many minutes.
        await WaitUntilAsync(() => fx.Engine.GetStatistics().UploadFailures >= Files * 3, "each upload failed three times", Token);
        return (faulty, memory, fx);
    }

    [TestMethod]
    public async Task Uploads_retry_without_giving_up_and_finish_once_the_store_answers_again()
    {
        var (faulty, memory, fx) = await WriteDuringAnOutageAsync();
        await using var _ = fx;
        Assert.AreEqual(0, memory.Count, "nothing reached the store while it was away");
        Assert.AreEqual(Files, fx.Engine.GetStatistics().DirtyFiles, "every file is still pending");

        faulty.Unreachable = false;
        await WaitUntilAsync(() => memory.Count == Files, "every file uploaded after the store came back", Token);
        Assert.AreEqual(0, fx.Engine.GetStatistics().DirtyFiles);
    }

    [TestMethod]
    public async Task Failures_during_an_outage_are_logged_in_a_few_lines_not_one_per_failure()
    {
        var log = new CountingLogger();
        var (faulty, memory, fx) = await WriteDuringAnOutageAsync(log);
        await using var _ = fx;

        var lines = log.Lines;
        Assert.IsTrue(lines.Count <= 3, $"{fx.Engine.GetStatistics().UploadFailures} failures logged in {lines.Count} lines:\n{string.Join("\n", lines)}");
        Assert.IsTrue(lines.Any(l => l.Contains("unreachable", StringComparison.Ordinal)), "one line says the store is unreachable:\n" + string.Join("\n", lines));
        faulty.Unreachable = false;
        await WaitUntilAsync(() => memory.Count == Files, "every file uploaded after the store came back", Token);
    }

    [TestMethod]
    public async Task The_drain_keeps_retrying_while_the_store_is_away_says_so_and_finishes_when_it_returns()
    {
        var memory = new MemoryObjectStore();
        var faulty = new FaultInjectingObjectStore(memory, new FaultOptions());
        await using var fx = new EngineFixture(faulty, o => o with { WriteBackDelay = TimeSpan.FromHours(1), WriteMetadataIndex = false });
        for (var i = 0; i < 3; i++)
        {
            await fx.WriteFileAsync($"/pending{i}", new byte[1000], Token);
        }

        faulty.Unreachable = true;
        var reports = new List<UploadProgress>();
        var drain = fx.Engine.WaitForUploadsAsync(new Reports(reports), Token);

        // The drain used to give up once every file had failed in two rounds (about a second, ten at most).
        await WaitUntilAsync(() => fx.Engine.GetStatistics().UploadFailures >= 3 * 4 || drain.IsCompleted, "every upload failed four times", Token);
        Assert.IsFalse(drain.IsCompleted, "the drain gave up while the store was away: " + drain.Exception?.InnerException?.Message);
        var last = Last(reports);
        Assert.IsTrue(last.StoreUnreachable, "the progress says the store is unreachable");
        Assert.AreEqual(3, last.FilesPending);
        Assert.AreEqual(3000, last.BytesPending);
        StringAssert.Contains(last.LastError, "unreachable");

        faulty.Unreachable = false;
        await drain.WaitAsync(Bound, Token);
        Assert.AreEqual(3, memory.Count);
        Assert.IsFalse(Last(reports).StoreUnreachable);
        Assert.AreEqual(0, Last(reports).FilesPending);
    }

    [TestMethod]
    public async Task The_drain_stops_when_its_caller_cancels_and_the_files_stay_pending()
    {
        var faulty = new FaultInjectingObjectStore(new MemoryObjectStore(), new FaultOptions());
        await using var fx = new EngineFixture(faulty);
        await fx.Engine.ListDirectoryAsync("/", Token);
        faulty.Unreachable = true;
        await fx.WriteFileAsync("/kept", new byte[10], Token);

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var drain = fx.Engine.WaitForUploadsAsync(null, cancel.Token);
        await WaitUntilAsync(() => fx.Engine.GetStatistics().UploadFailures >= 2, "the upload failed twice", Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAsync<OperationCanceledException>(() => drain.WaitAsync(Bound, Token));
        Assert.AreEqual(1, fx.Engine.GetStatistics().DirtyFiles, "the file stays pending (journaled) for later");
        faulty.Unreachable = false;
    }

    [TestMethod]
    public async Task Uploads_the_store_refuses_make_the_drain_fail_naming_the_files()
    {
        var faulty = new FaultInjectingObjectStore(new MemoryObjectStore(), new FaultOptions());
        await using var fx = new EngineFixture(faulty, o => o with { WriteBackDelay = TimeSpan.FromHours(1) });
        await fx.WriteFileAsync("/denied-a", new byte[10], Token);
        await fx.WriteFileAsync("/denied-b", new byte[10], Token);
        faulty.FailNext(2, ObjectStoreErrorKind.AccessDenied);

        var error = await Assert.ThrowsExactlyAsync<FileSystemException>(() => fx.Engine.WaitForUploadsAsync(null, Token).WaitAsync(Bound, Token));

        Assert.AreEqual(FsError.IoError, error.Error);
        StringAssert.Contains(error.Message, "refused");
        StringAssert.Contains(error.Message, "/denied-a");
        StringAssert.Contains(error.Message, "/denied-b");
    }

    [TestMethod]
    public async Task Listings_lookups_and_creates_are_answered_from_what_the_mount_knows_while_the_store_is_away()
    {
        var memory = new MemoryObjectStore();
        await memory.PutAsync("known.txt", new MemoryStream([1, 2, 3]), null, Token);
        await memory.PutAsync("sub/inner.txt", new MemoryStream([4]), null, Token);
        var faulty = new FaultInjectingObjectStore(memory, new FaultOptions());

        // Listings and lookups go stale at once: every answer below would have to come from the store.
        await using var fx = new EngineFixture(faulty, o => o with { MetadataTtl = TimeSpan.FromMilliseconds(1) });
        Assert.AreEqual(2, (await fx.Engine.ListDirectoryAsync("/", Token)).Count);
        Assert.AreEqual(1, (await fx.Engine.ListDirectoryAsync("/sub", Token)).Count);
        await Task.Delay(20, Token); // Past the 1 ms TTL (a lower bound only: a slower machine waits longer, same verdict).

        faulty.Unreachable = true;
        CollectionAssert.AreEqual(new[] { "known.txt", "sub" }, (await fx.Engine.ListDirectoryAsync("/", Token)).Select(n => n.Name).ToArray());
        Assert.AreEqual(3, (await fx.Engine.GetAttributesAsync("/known.txt", Token)).Size);
        Assert.IsNull(await fx.Engine.TryGetAttributesAsync("/sub/absent", Token), "a name a known listing lacks does not exist");

        await fx.WriteFileAsync("/sub/new.txt", [7, 7], Token);
        await fx.WriteFileAsync("/known.txt", [9], Token); // Replaced whole (O_TRUNC): none of its old bytes are needed.
        CollectionAssert.AreEqual(new[] { "inner.txt", "new.txt" }, (await fx.Engine.ListDirectoryAsync("/sub", Token)).Select(n => n.Name).ToArray());

        var unknown = await Assert.ThrowsExactlyAsync<FileSystemException>(() => fx.Engine.ListDirectoryAsync("/never-listed/deeper", Token));
        Assert.AreEqual(FsError.Unavailable, unknown.Error, "what the mount never knew fails (EIO), after the store's retries");
        Assert.IsTrue(faulty.CallsWhileUnreachable > 0);

        faulty.Unreachable = false;
        await fx.Engine.WaitForUploadsAsync(null, Token).WaitAsync(Bound, Token);
        Assert.AreEqual(2, (await memory.HeadAsync("sub/new.txt", Token))?.Size, "the file created during the outage reached the store");
        Assert.AreEqual(1, (await memory.HeadAsync("known.txt", Token))?.Size, "the file replaced during the outage reached the store");
    }

    private static UploadProgress Last(List<UploadProgress> reports)
    {
        lock (reports)
        {
            return reports[^1];
        }
    }

    private sealed class Reports(List<UploadProgress> reports) : IProgress<UploadProgress>
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
