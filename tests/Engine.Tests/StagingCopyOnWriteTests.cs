using BucketMount.Engine.Writing;

namespace BucketMount.Engine.Tests;

/// <summary>
/// A staging file a pending journal record names keeps the bytes the record promises: changes to them go to a new
/// staging file, changes past them stay in place, and nothing is copied that need not be.
/// </summary>
[TestClass]
public sealed class StagingCopyOnWriteTests
{
    private const int Size = StagingFile.MemoryLimit * 3;

    public TestContext TestContext { get; set; } = null!;

    private readonly List<string> _folders = [];

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestCleanup]
    public void DeleteFolders() => _folders.ForEach(f => Directory.Delete(f, recursive: true));

    private string NewFolder()
    {
        var folder = Directory.CreateTempSubdirectory("bm-cow-").FullName;
        _folders.Add(folder);
        return folder;
    }

    [TestMethod]
    public async Task Appends_past_the_pinned_bytes_stay_in_the_same_file()
    {
        var (folder, closed, staging) = await JournaledAsync();
        using (staging)
        {
            var writable = staging.ForChange(Size, truncatesToZero: false);
            Assert.AreSame(staging, writable, "an append copies nothing");
            await writable.WriteAsync(Size, "more"u8.ToArray(), Token);
            Assert.HasCount(1, Directory.GetFiles(folder));
            CollectionAssert.AreEqual(closed, File.ReadAllBytes(staging.FilePath)[..Size], "the pinned bytes are as they were");
        }
    }

    [TestMethod]
    public async Task A_truncate_to_zero_starts_empty_and_the_pinned_file_goes_once_a_newer_record_names_the_new_one()
    {
        var (folder, closed, staging) = await JournaledAsync();
        var writable = staging.ForChange(0, truncatesToZero: true);
        Assert.AreNotSame(staging, writable);
        writable.SetLength(Size, 0);
        await writable.WriteAsync(0, new byte[Size / 2], Token);
        Assert.AreEqual(0, writable.PinnedLength);
        CollectionAssert.AreEqual(closed, File.ReadAllBytes(staging.FilePath), "the file the record names still holds what close returned for");
        Assert.IsTrue(Directory.GetFiles(folder).All(f => f == staging.FilePath || f == writable.FilePath));

        writable.FlushToDisk();
        writable.OnJournaled(Size / 2, inline: false);
        Assert.IsFalse(File.Exists(staging.FilePath), "no record names the old file any more");
        Assert.AreEqual(Size / 2, writable.PinnedLength);
        writable.Delete();
        Assert.IsEmpty(Directory.GetFiles(folder));
    }

    [TestMethod]
    public async Task An_overwrite_inside_the_pinned_bytes_goes_to_a_whole_clone()
    {
        var (folder, closed, staging) = await JournaledAsync();
        var writable = staging.ForChange(100, truncatesToZero: false);
        Assert.AreNotSame(staging, writable);
        await writable.WriteAsync(100, "changed"u8.ToArray(), Token);

        var expected = closed.ToArray();
        "changed"u8.CopyTo(expected.AsSpan(100));
        var read = new byte[Size];
        await writable.ReadAsync(0, read, Token);
        CollectionAssert.AreEqual(expected, read, "the clone holds the closed bytes and the change");
        Assert.IsEmpty(writable.Missing(0, Size), "every byte of the clone is content");
        CollectionAssert.AreEqual(closed, File.ReadAllBytes(staging.FilePath), "the file the record names still holds what close returned for");

        writable.Delete();
        Assert.IsEmpty(Directory.GetFiles(folder), "deleting the file deletes the copy it replaced too");
    }

    [TestMethod]
    public async Task A_recovered_file_is_cut_to_its_record_and_pinned()
    {
        var path = Path.Combine(NewFolder(), "f.data");
        var bytes = new byte[Size + 500];
        new Random(5).NextBytes(bytes);
        await File.WriteAllBytesAsync(path, bytes, Token);

        using var recovered = StagingFile.Open(path, Size);
        Assert.AreEqual(Size, new FileInfo(path).Length, "bytes appended after the record are not content");
        Assert.AreEqual(Size, recovered.PinnedLength, "the record names this file until its upload is done");
        recovered.SetLength(Size, Size + 500);
        var tail = new byte[500];
        await recovered.ReadAsync(Size, tail, Token);
        Assert.IsTrue(tail.AsSpan().IndexOfAnyExcept((byte)0) < 0, "a growth reads as zeros, not as the unclosed bytes");
    }

    /// <summary>A staging file on disk holding <see cref="Size"/> closed bytes, named by a durable journal record.</summary>
    private async Task<(string Folder, byte[] Closed, StagingFile Staging)> JournaledAsync()
    {
        var folder = NewFolder();
        var closed = new byte[Size];
        new Random(3).NextBytes(closed);
        var staging = StagingFile.Open(Path.Combine(folder, "0000000000000000042.data"));
        await staging.WriteAsync(0, closed, Token);
        staging.FlushToDisk();
        staging.OnJournaled(Size, inline: false);
        return (folder, closed, staging);
    }
}
