using BucketMount.Engine.Writing;

namespace BucketMount.Engine.Tests;

/// <summary>The append-only upload journal: what survives a crash, what a torn tail costs, and that it stays small.</summary>
[TestClass]
public sealed class UploadJournalTests
{
    private string _folder = null!;

    private string JournalFolder => Path.Combine(_folder, "journal");

    [TestInitialize]
    public void CreateFolder() => _folder = Directory.CreateTempSubdirectory("bucketmount-journal-").FullName;

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private JournalRecord Record(long id, long size, string? staging = null) => new()
    {
        Id = id,
        Path = $"/f{id}",
        Size = size,
        ModifiedTime = DateTimeOffset.UnixEpoch.AddSeconds(id),
        Mode = 0x1a4,
        StagingFile = staging ?? Path.Combine(_folder, "staging", $"{id}.data"),
    };

    private static byte[] Bytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    private long SegmentBytes() => Directory.GetFiles(JournalFolder, "*.log").Sum(f => new FileInfo(f).Length);

    [TestMethod]
    public void A_small_files_bytes_rebuild_its_staging_file_when_the_crash_lost_it()
    {
        var content = Bytes(5000, 1);
        var record = Record(1, content.Length);
        using (var journal = new UploadJournal(JournalFolder))
        {
            journal.Write(record, content);
        }

        // The staging file of an inlined record is never fsynced: after a power cut it may be missing or short.
        Assert.IsFalse(File.Exists(record.StagingFile));

        using var reopened = new UploadJournal(JournalFolder);
        var loaded = reopened.Load().Files.Single();
        Assert.AreEqual(record, loaded);
        CollectionAssert.AreEqual(content, File.ReadAllBytes(record.StagingFile));
        Assert.AreEqual(1, reopened.PendingCount);
    }

    [TestMethod]
    public void An_empty_file_is_rebuilt_too()
    {
        var record = Record(2, 0);
        using (var journal = new UploadJournal(JournalFolder))
        {
            journal.Write(record, []);
        }

        using var reopened = new UploadJournal(JournalFolder);
        Assert.AreEqual(record, reopened.Load().Files.Single());
        Assert.AreEqual(0, new FileInfo(record.StagingFile).Length);
    }

    [TestMethod]
    public void A_record_without_content_needs_its_staging_file_and_is_set_aside_without_it()
    {
        var kept = Record(3, 4, Path.Combine(_folder, "kept.data"));
        File.WriteAllBytes(kept.StagingFile, [1, 2, 3, 4]);
        var lost = Record(4, 4, Path.Combine(_folder, "lost.data"));
        using (var journal = new UploadJournal(JournalFolder))
        {
            journal.Write(kept);
            journal.Write(lost);
        }

        using var reopened = new UploadJournal(JournalFolder);
        Assert.AreEqual(kept, reopened.Load().Files.Single());
        Assert.IsTrue(File.Exists(Path.Combine(JournalFolder, $"{lost.Id:D19}.unusable")), "what cannot be used is kept for a person to look at");
    }

    [TestMethod]
    public void Done_records_are_not_recovered_and_the_newest_record_of_an_id_wins()
    {
        using (var journal = new UploadJournal(JournalFolder))
        {
            journal.Write(Record(10, 1), [1]);
            journal.Write(Record(11, 1), [2]);
            journal.Write(Record(12, 1), [3]);
            journal.Delete(11);
            journal.Write(Record(12, 2), [4, 5]);
            Assert.AreEqual(2, journal.PendingCount);
        }

        using var reopened = new UploadJournal(JournalFolder);
        var loaded = reopened.Load().Files;
        CollectionAssert.AreEqual(new long[] { 10, 12 }, loaded.Select(r => r.Id).ToArray());
        Assert.AreEqual(2, loaded[1].Size);
        CollectionAssert.AreEqual(new byte[] { 4, 5 }, File.ReadAllBytes(loaded[1].StagingFile));
    }

    [TestMethod]
    public void A_torn_last_record_is_dropped_and_everything_before_it_recovered()
    {
        using (var journal = new UploadJournal(JournalFolder))
        {
            journal.Write(Record(20, 3), [1, 2, 3]);
            journal.Write(Record(21, 3), [4, 5, 6]);
        }

        var segment = Directory.GetFiles(JournalFolder, "*.log").Single();
        using (var file = new FileStream(segment, FileMode.Open))
        {
            file.SetLength(file.Length - 2);
        }

        using (var reopened = new UploadJournal(JournalFolder))
        {
            Assert.AreEqual(20, reopened.Load().Files.Single().Id);
        }

        // A flipped byte fails the checksum the same way.
        using (var journal = new UploadJournal(JournalFolder))
        {
            journal.Load();
            journal.Write(Record(22, 3), [7, 8, 9]);
        }

        segment = Directory.GetFiles(JournalFolder, "*.log").Single();
        var bytes = File.ReadAllBytes(segment);
        bytes[^1] ^= 0xff;
        File.WriteAllBytes(segment, bytes);
        using var last = new UploadJournal(JournalFolder);
        Assert.AreEqual(20, last.Load().Files.Single().Id);
    }

    [TestMethod]
    public void The_log_empties_when_nothing_is_pending_and_old_segments_go_once_done()
    {
        using var journal = new UploadJournal(JournalFolder);
        journal.Write(Record(30, 1), [1]);
        journal.Delete(30);
        Assert.AreEqual(0, SegmentBytes(), "nothing pending: the log starts over");

        // 100 files of 128 KiB fill several segments; one stays pending in the first.
        journal.Write(Record(31, 1), [1]);
        for (var id = 32; id < 132; id++)
        {
            journal.Write(Record(id, UploadJournal.InlineContentBytes), Bytes(UploadJournal.InlineContentBytes, id));
        }

        Assert.IsGreaterThan(1, Directory.GetFiles(JournalFolder, "*.log").Length, "the log rolled to new segments");
        for (var id = 32; id < 132; id++)
        {
            journal.Delete(id);
        }

        Assert.HasCount(2, Directory.GetFiles(JournalFolder, "*.log"), "the first segment (still pending) and the current one");
        journal.Delete(31);
        Assert.AreEqual(0, SegmentBytes());
        Assert.AreEqual(0, journal.PendingCount);
    }

    [TestMethod]
    public void Records_of_the_one_file_per_record_layout_are_taken_over()
    {
        var record = Record(40, 2, Path.Combine(_folder, "legacy.data"));
        File.WriteAllBytes(record.StagingFile, [9, 9]);
        Directory.CreateDirectory(JournalFolder);
        File.WriteAllBytes(Path.Combine(JournalFolder, $"{record.Id:D19}.json"),
            System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(record, JournalJson.Default.JournalRecord));

        using (var journal = new UploadJournal(JournalFolder))
        {
            Assert.AreEqual(record, journal.Load().Files.Single());
            Assert.IsEmpty(Directory.GetFiles(JournalFolder, "*.json"), "taken into the log");
        }

        using var reopened = new UploadJournal(JournalFolder);
        Assert.AreEqual(record, reopened.Load().Files.Single());
    }

    [TestMethod]
    public void Uploads_in_parts_not_ended_survive_restarts_until_marked_done_and_ended_ones_do_not()
    {
        var left = new PartUploadRecord { Id = 5, Key = "dir/big.bin", UploadId = "abc/+=" };
        using (var journal = new UploadJournal(JournalFolder))
        {
            journal.WritePartUpload(left);
            journal.WritePartUpload(new PartUploadRecord { Id = 6, Key = "done.bin", UploadId = "def" });
            journal.Write(Record(7, 3), [1, 2, 3]);
            journal.Delete(6);
        }

        using (var reopened = new UploadJournal(JournalFolder))
        {
            var contents = reopened.Load();
            Assert.AreEqual(left, contents.PartUploads.Single(), "only the one not ended");
            Assert.AreEqual(7, contents.Files.Single().Id, "files and part uploads are told apart");
            Assert.AreEqual(2, reopened.PendingCount);
        }

        // Rewritten by that load, still there on the next start; gone once marked done.
        using (var again = new UploadJournal(JournalFolder))
        {
            Assert.AreEqual(left, again.Load().PartUploads.Single());
            again.Delete(5);
            again.Delete(7);
            Assert.AreEqual(0, again.PendingCount);
        }

        using var last = new UploadJournal(JournalFolder);
        var empty = last.Load();
        Assert.IsEmpty(empty.PartUploads);
        Assert.IsEmpty(empty.Files);
        Assert.AreEqual(0, SegmentBytes(), "nothing pending: the log starts over");
    }

    [TestMethod]
    public async Task Closes_that_arrive_during_an_fsync_share_the_next_one_and_none_returns_before_it()
    {
        using var firstFlushStarted = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var flushes = 0;
        using (var journal = new UploadJournal(JournalFolder, handle =>
        {
            if (Interlocked.Increment(ref flushes) == 1)
            {
                firstFlushStarted.Set();
                release.Wait(TimeSpan.FromSeconds(90)); // Longer than the test waits for the appends below.
            }

            RandomAccess.FlushToDisk(handle);
        }))
        {
            var first = Task.Run(() => journal.Write(Record(1, 1), [1]));
            Assert.IsTrue(firstFlushStarted.Wait(TimeSpan.FromSeconds(30)), "the first close's fsync began");
            var others = Enumerable.Range(2, 5).Select(i => Task.Run(() => journal.Write(Record(i, 1), [(byte)i]))).ToArray();
            // Each close blocks a pool thread (the first inside its fsync): on a loaded 2-core machine the pool
            // grows about one thread a second, so the appends may take seconds to arrive. Bounded, not timed.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (journal.PendingCount < 6 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }

            Assert.AreEqual(6, journal.PendingCount, "all six appended (within 60 s)");
            Assert.IsFalse(first.IsCompleted || others.Any(t => t.IsCompleted), "no close returns before an fsync that began after its append");
            release.Set();
            await Task.WhenAll([first, .. others]);
            Assert.AreEqual(2, flushes, "the five closes that arrived during the first fsync shared one");
        }

        using var reopened = new UploadJournal(JournalFolder);
        CollectionAssert.AreEquivalent(new long[] { 1, 2, 3, 4, 5, 6 }, reopened.Load().Files.Select(r => r.Id).ToArray());
    }
}
