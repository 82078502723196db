using System.Collections.Concurrent;
using BucketMount.Backends;
using BucketMount.Backends.Decorators;
using BucketMount.Backends.Local;
using BucketMount.Backends.Memory;
using BucketMount.Engine.Writing;
using Microsoft.Extensions.Logging;

namespace BucketMount.Engine.Tests;

/// <summary>
/// Conflicts are reported only when someone else changed the object: not for a retried write whose first answer was
/// lost, nor for our own attribute change; conflict copies never replace one another.
/// </summary>
[TestClass]
public sealed class ConflictTruthTests
{
    private static readonly RetryPolicy FastRetries = new() { BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(5) };

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    [DataRow(ConflictPolicy.LastWriterWins, false)]
    [DataRow(ConflictPolicy.KeepBoth, false)]
    [DataRow(ConflictPolicy.LastWriterWins, true)]
    [DataRow(ConflictPolicy.KeepBoth, true)]
    public async Task A_lost_answer_to_a_single_put_is_not_a_conflict(ConflictPolicy policy, bool replacesAnObject)
    {
        var faulty = new FaultInjectingObjectStore(new MemoryObjectStore(), new FaultOptions());
        await using var run = new Run(new RetryingObjectStore(faulty, FastRetries), o => o with { ConflictPolicy = policy });
        if (replacesAnObject)
        {
            await faulty.PutAsync("doc.txt", new MemoryStream("old"u8.ToArray()), null, Token);
            await run.ReadAsync("/doc.txt", Token);
        }

        faulty.LoseNextWriteResponses(1);
        await run.WriteAsync("/doc.txt", "new content"u8.ToArray(), Token);
        await run.Engine.WaitForUploadsAsync(null, Token);

        Assert.AreEqual(0, faulty.WriteResponsesToLose, "the answer to the upload was lost");
        Assert.AreEqual("new content", await StoredTextAsync(faulty, "doc.txt"));
        await AssertNoConflictAsync(run, faulty);
    }

    [TestMethod]
    [DataRow(ConflictPolicy.LastWriterWins, false)]
    [DataRow(ConflictPolicy.KeepBoth, false)]
    [DataRow(ConflictPolicy.LastWriterWins, true)]
    [DataRow(ConflictPolicy.KeepBoth, true)]
    public async Task A_lost_answer_to_a_multipart_completion_is_not_a_conflict(ConflictPolicy policy, bool streamed)
    {
        // Streamed: the part upload's completion is retried on its own (the store no longer knows the upload).
        // Not streamed: the whole upload is retried, and its completion meets If-None-Match with our own object.
        var faulty = new FaultInjectingObjectStore(new MemoryObjectStore(), new FaultOptions());
        await using var run = new Run(new RetryingObjectStore(faulty, FastRetries), o => o with
        {
            ConflictPolicy = policy,
            UploadPartSize = 5L * 1024 * 1024,
            StreamUploads = streamed,
        });
        var data = new byte[12 * 1024 * 1024];
        new Random(7).NextBytes(data);

        faulty.LoseNextWriteResponses(1);
        await run.WriteAsync("/big.bin", data, Token);
        await run.Engine.WaitForUploadsAsync(null, Token);

        Assert.AreEqual(0, faulty.WriteResponsesToLose, "the answer to the completion was lost");
        Assert.AreEqual(streamed ? 1 : 0, run.Engine.GetStatistics().StreamedUploads, "the upload took the path under test");
        CollectionAssert.AreEqual(data, await StoredBytesAsync(faulty, "big.bin"));
        await AssertNoConflictAsync(run, faulty);
    }

    [TestMethod]
    [DataRow(ConflictPolicy.LastWriterWins)]
    [DataRow(ConflictPolicy.KeepBoth)]
    public async Task A_change_by_someone_else_is_still_a_conflict_even_when_our_answer_was_lost(ConflictPolicy policy)
    {
        var faulty = new FaultInjectingObjectStore(new MemoryObjectStore(), new FaultOptions());
        await using var run = new Run(new RetryingObjectStore(faulty, FastRetries), o => o with { ConflictPolicy = policy });
        await faulty.PutAsync("shared.txt", new MemoryStream("original"u8.ToArray()), null, Token);
        await using (var handle = await run.Engine.OpenAsync("/shared.txt", OpenFlags.ReadWrite, Token))
        {
            await handle.ReadAsync(0, new byte[8], Token);
            await faulty.PutAsync("shared.txt", new MemoryStream("theirs"u8.ToArray()), null, Token);
            await handle.WriteAsync(0, "ours!!!!"u8.ToArray(), Token);
            faulty.LoseNextWriteResponses(1);
        }

        await run.Engine.WaitForUploadsAsync(null, Token);

        Assert.AreEqual(1, run.Engine.GetStatistics().Conflicts);
        var copies = await ConflictCopiesAsync(faulty);
        if (policy == ConflictPolicy.KeepBoth)
        {
            Assert.AreEqual("theirs", await StoredTextAsync(faulty, "shared.txt"));
            Assert.HasCount(1, copies);
            Assert.AreEqual("ours!!!!", await StoredTextAsync(faulty, copies[0]));
        }
        else
        {
            Assert.AreEqual("ours!!!!", await StoredTextAsync(faulty, "shared.txt"));
            Assert.IsEmpty(copies);
        }

        Assert.HasCount(1, run.Warnings.Where(w => w.Contains("changed in the store", StringComparison.Ordinal)), string.Join("\n", run.Warnings));
    }

    [TestMethod]
    public async Task Two_conflict_copies_made_in_the_same_second_get_distinct_names()
    {
        var store = new MemoryObjectStore();
        await using var run = new Run(store, o => o with { ConflictPolicy = ConflictPolicy.KeepBoth });
        await store.PutAsync("shared.txt", new MemoryStream("original"u8.ToArray()), null, Token);

        // Another mount's conflict copies of this file, one for each second this test may run in.
        var now = DateTimeOffset.UtcNow;
        var theirCopies = Enumerable.Range(0, 120).Select(s => ConflictNames.For("shared.txt", now.AddSeconds(s))).ToList();
        foreach (var copy in theirCopies)
        {
            await store.PutAsync(copy, new MemoryStream("their copy"u8.ToArray()), null, Token);
        }

        await using (var handle = await run.Engine.OpenAsync("/shared.txt", OpenFlags.ReadWrite, Token))
        {
            await handle.ReadAsync(0, new byte[8], Token);
            await store.PutAsync("shared.txt", new MemoryStream("theirs"u8.ToArray()), null, Token);
            await handle.WriteAsync(0, "ours!!!!"u8.ToArray(), Token);
        }

        await run.Engine.WaitForUploadsAsync(null, Token);

        foreach (var copy in theirCopies)
        {
            Assert.AreEqual("their copy", await StoredTextAsync(store, copy), $"{copy} was replaced");
        }

        var ours = (await ConflictCopiesAsync(store)).Except(theirCopies).ToList();
        Assert.HasCount(1, ours, "our conflict copy has a name of its own");
        Assert.AreEqual("ours!!!!", await StoredTextAsync(store, ours[0]));
        StringAssert.EndsWith(ours[0], ".txt");
        Assert.AreEqual("theirs", await StoredTextAsync(store, "shared.txt"));
    }

    [TestMethod]
    public void Conflict_names_after_the_first_carry_a_counter_before_the_extension()
    {
        var when = new DateTimeOffset(2026, 11, 22, 10, 15, 0, TimeSpan.Zero);
        Assert.AreEqual("dir/report.conflict-20261122-101500.docx", ConflictNames.For("dir/report.docx", when));
        Assert.AreEqual("dir/report.conflict-20261122-101500-2.docx", ConflictNames.For("dir/report.docx", when, 2));
        Assert.AreEqual("dir.v2/Makefile.conflict-20261122-101500-3", ConflictNames.For("dir.v2/Makefile", when, 3));
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public async Task A_chmod_while_uploads_run_never_counts_as_a_conflict_and_the_newest_bytes_win(bool localStore)
    {
        var folder = Directory.CreateTempSubdirectory("bucketmount-conflicts-").FullName;
        try
        {
            IObjectStore inner = localStore ? new LocalFolderStore(folder) : new MemoryObjectStore();
            // A little latency keeps each upload in flight long enough for the chmod to meet it.
            var slow = new FaultInjectingObjectStore(inner, new FaultOptions { Latency = TimeSpan.FromMilliseconds(3) });
            await using var run = new Run(slow, o => o with { ConflictPolicy = ConflictPolicy.KeepBoth });
            await run.WriteAsync("/f.txt", "version 0"u8.ToArray(), Token);
            await run.Engine.WaitForUploadsAsync(null, Token);

            var random = new Random(11);
            const int Rounds = 30;
            for (var round = 1; round <= Rounds; round++)
            {
                var content = System.Text.Encoding.UTF8.GetBytes($"version {round}");
                var write = run.WriteAsync("/f.txt", content, Token);
                var pause = random.Next(0, 8);
                var chmod = Task.Run(async () =>
                {
                    await Task.Delay(pause, Token);
                    await run.Engine.SetAttributesAsync("/f.txt", new AttributeChanges { Mode = 0x8000 | (round % 2 == 0 ? 0x1A4 : 0x180) }, Token);
                }, Token);
                await Task.WhenAll(write, chmod);
                if (round % 3 == 0)
                {
                    await run.Engine.WaitForUploadsAsync(null, Token);
                }
            }

            await run.Engine.WaitForUploadsAsync(null, Token);
            Assert.AreEqual($"version {Rounds}", await StoredTextAsync(slow, "f.txt"), string.Join("\n", run.Warnings));
            Assert.AreEqual($"version {Rounds}", System.Text.Encoding.UTF8.GetString(await run.ReadAsync("/f.txt", Token)));
            await AssertNoConflictAsync(run, slow);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    [DataRow(ConflictPolicy.LastWriterWins)]
    [DataRow(ConflictPolicy.KeepBoth)]
    public async Task A_partial_rewrite_whose_base_was_replaced_keeps_both_and_unmount_reports_no_failure(ConflictPolicy policy)
    {
        // A program changes two bytes in the middle of a file; someone else replaces the file before the rest of it
        // was fetched. The version ours was based on is gone: theirs stays, ours goes beside it, nothing is left
        // pending, and the unmount succeeds (it used to say the change stayed queued while nothing was queued).
        var store = new MemoryObjectStore();
        await using var run = new Run(store, o => o with { ConflictPolicy = policy });
        await store.PutAsync("data.bin", new MemoryStream("0123456789"u8.ToArray()), null, Token);
        await run.Engine.GetAttributesAsync("/data.bin", Token);
        await using (var handle = await run.Engine.OpenAsync("/data.bin", OpenFlags.ReadWrite, Token))
        {
            await handle.WriteAsync(3, "ab"u8.ToArray(), Token);
            await store.PutAsync("data.bin", new MemoryStream("their version"u8.ToArray()), null, Token);
        }

        await run.Engine.ShutdownAsync(null, Token);

        Assert.AreEqual("their version", await StoredTextAsync(store, "data.bin"));
        var copies = await ConflictCopiesAsync(store);
        Assert.HasCount(1, copies);
        Assert.AreEqual("theab vers", await StoredTextAsync(store, copies[0]), "our bytes, over theirs where ours were never fetched");
        Assert.AreEqual(1, run.Engine.GetStatistics().Conflicts);
        Assert.IsTrue(run.Warnings.Any(w => w.Contains(copies[0], StringComparison.Ordinal)), "the warning names the copy: " + string.Join("\n", run.Warnings));
        Assert.IsEmpty(Directory.GetFiles(Path.Combine(run.CacheDirectory, "staging")), "nothing is left pending in the cache");
    }

    [TestMethod]
    public async Task Uploads_that_landed_just_before_a_crash_are_not_conflicts_when_the_next_mount_sends_them_again()
    {
        // The mount was killed after the store took its uploads but before their answers came: the journal still
        // holds the files, and the next mount sends them again (If-None-Match: *), finding its own objects there.
        var root = Directory.CreateTempSubdirectory("bucketmount-crash-").FullName;
        var storeFolder = Path.Combine(root, "store");
        var cacheFolder = Path.Combine(root, "cache");
        Directory.CreateDirectory(storeFolder);
        try
        {
            await CrashRecoveryTests.RunChildUntilClosedThenKillAsync(storeFolder, cacheFolder, Token);
            var store = new LocalFolderStore(storeFolder);
            var pending = Directory.GetFiles(Path.Combine(cacheFolder, "journal"), "*.log").Order(StringComparer.Ordinal)
                .SelectMany(JournalLog.Read)
                .Where(e => e.Kind is JournalLog.Kind.Pending or JournalLog.Kind.PendingWithContent)
                .Select(e => System.Text.Json.JsonDocument.Parse(e.Json).RootElement)
                .Select(r => (Path: r.GetProperty("path").GetString()!, UploadId: r.TryGetProperty("uploadId", out var id) ? id.GetString() : null))
                .ToList();
            Assert.IsNotEmpty(pending);
            foreach (var (path, uploadId) in pending)
            {
                var i = int.Parse(path["/work/file".Length..^".bin".Length], System.Globalization.CultureInfo.InvariantCulture);
                var metadata = new Dictionary<string, string> { ["mtime"] = "1600000000" };
                if (uploadId is not null)
                {
                    metadata[UploadIds.MetadataKey] = uploadId;
                }

                await store.PutAsync(path[1..], new MemoryStream(CrashChild.CrashChildData.For(i)), new PutOptions { Metadata = metadata }, Token);
            }

            await using (var run = new Run(store, o => o with { CacheDirectory = cacheFolder, ConflictPolicy = ConflictPolicy.KeepBoth }))
            {
                Assert.HasCount(pending.Count, run.Engine.RecoveredPaths);
                await run.Engine.WaitForUploadsAsync(null, Token);
                await AssertNoConflictAsync(run, store);
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task AssertNoConflictAsync(Run run, IObjectStore store)
    {
        Assert.IsEmpty(await ConflictCopiesAsync(store), "no conflict copy of a file nobody else touched");
        Assert.AreEqual(0, run.Engine.GetStatistics().Conflicts, "no conflict counted");
        Assert.IsEmpty(run.Warnings, "no warning: " + string.Join("\n", run.Warnings));
    }

    private static async Task<List<string>> ConflictCopiesAsync(IObjectStore store)
    {
        var keys = new List<string>();
        await foreach (var entry in store.ListAsync("", null, CancellationToken.None))
        {
            if (entry.Key.Contains(".conflict-", StringComparison.Ordinal))
            {
                keys.Add(entry.Key);
            }
        }

        return keys;
    }

    private static async Task<byte[]> StoredBytesAsync(IObjectStore store, string key)
    {
        using var stream = new MemoryStream();
        await store.ReadToAsync(key, 0, null, stream, null, CancellationToken.None);
        return stream.ToArray();
    }

    private static async Task<string> StoredTextAsync(IObjectStore store, string key) =>
        System.Text.Encoding.UTF8.GetString(await StoredBytesAsync(store, key));

    /// <summary>An engine over <paramref name="store"/> whose warnings are kept, on a fresh cache directory.</summary>
    private sealed class Run : IAsyncDisposable, ILoggerFactory, ILogger
    {
        private readonly ConcurrentQueue<string> _warnings = new();
        private readonly string _folder;

        public Run(IObjectStore store, Func<EngineOptions, EngineOptions> configure)
        {
            _folder = Directory.CreateTempSubdirectory("bucketmount-engine-").FullName;
            var options = configure(new EngineOptions
            {
                CacheDirectory = _folder,
                WriteBackDelay = TimeSpan.Zero,
                MemoryCacheBytes = 16L * 1024 * 1024,
                DiskCacheBytes = 64L * 1024 * 1024,
            });
            CacheDirectory = options.CacheDirectory;
            Engine = MountEngine.Start(store, options, loggers: this);
        }

        public MountEngine Engine { get; }

        public string CacheDirectory { get; }

        public IReadOnlyList<string> Warnings => [.. _warnings];

        public async Task WriteAsync(string path, byte[] data, CancellationToken cancellationToken)
        {
            await using var handle = await Engine.OpenAsync(path, OpenFlags.Write | OpenFlags.Create | OpenFlags.Truncate, cancellationToken);
            await handle.WriteAsync(0, data, cancellationToken);
        }

        public async Task<byte[]> ReadAsync(string path, CancellationToken cancellationToken)
        {
            await using var handle = await Engine.OpenAsync(path, OpenFlags.Read, cancellationToken);
            var data = new byte[(await Engine.GetAttributesAsync(path, cancellationToken)).Size];
            var total = 0;
            while (total < data.Length)
            {
                var read = await handle.ReadAsync(total, data.AsMemory(total), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }

            return data[..total];
        }

        public async ValueTask DisposeAsync()
        {
            await Engine.ShutdownAsync(null, CancellationToken.None);
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        ILogger ILoggerFactory.CreateLogger(string categoryName) => this;

        void ILoggerFactory.AddProvider(ILoggerProvider provider)
        {
        }

        void IDisposable.Dispose()
        {
        }

        IDisposable? ILogger.BeginScope<TState>(TState state) => null;

        bool ILogger.IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        void ILogger.Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Warning)
            {
                _warnings.Enqueue($"{logLevel}: {formatter(state, exception)}");
            }
        }
    }
}
