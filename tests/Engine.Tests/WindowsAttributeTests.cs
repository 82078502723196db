using BucketMount.Backends.Memory;
using BucketMount.Engine.Namespace;
using BucketMount.Engine.Writing;

namespace BucketMount.Engine.Tests;

/// <summary>The Windows attribute bits and creation time the Dokan host sets travel with the file: metadata, journal, remount.</summary>
[TestClass]
public sealed class WindowsAttributeTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task Attributes_and_creation_time_survive_upload_and_a_remount()
    {
        var store = new MemoryObjectStore();
        await using var fx = new EngineFixture(store);
        var created = new DateTimeOffset(2011, 5, 6, 7, 8, 9, TimeSpan.Zero).AddTicks(1234567);
        await fx.WriteFileAsync("/doc.txt", new byte[10], Token);
        await fx.Engine.SetAttributesAsync("/doc.txt", new AttributeChanges { WindowsAttributes = 0x22, CreationTime = created }, Token);
        await fx.Engine.WaitForUploadsAsync(null, Token);

        var stored = await store.HeadAsync("doc.txt", Token);
        Assert.AreEqual("34", stored?.Metadata?["winattrs"]);
        Assert.AreEqual(created, ObjectMetadata.ParseMtime(stored?.Metadata?["btime"]));

        await fx.RemountAsync();
        var node = await fx.Engine.GetAttributesAsync("/doc.txt", Token);
        Assert.AreEqual(0x22, node.WindowsAttributes);
        Assert.AreEqual(created, node.CreationTime);

        // A closed, uploaded file changes its attributes by a self-copy that keeps the rest.
        await fx.Engine.SetAttributesAsync("/doc.txt", new AttributeChanges { WindowsAttributes = 0x20 }, Token);
        stored = await store.HeadAsync("doc.txt", Token);
        Assert.AreEqual("32", stored?.Metadata?["winattrs"]);
        Assert.AreEqual(created, ObjectMetadata.ParseMtime(stored?.Metadata?["btime"]), "the creation time is kept by the self-copy");
    }

    [TestMethod]
    public void The_journal_keeps_them_for_crash_recovery()
    {
        var folder = Directory.CreateTempSubdirectory("bucketmount-journal-").FullName;
        try
        {
            var journal = new UploadJournal(Path.Combine(folder, "journal"));
            var staging = Path.Combine(folder, "staging.bin");
            File.WriteAllBytes(staging, [1]);
            var created = new DateTimeOffset(2020, 1, 2, 3, 4, 5, TimeSpan.Zero);
            journal.Write(new JournalRecord { Id = 7, Path = "/a", Size = 1, ModifiedTime = DateTimeOffset.UnixEpoch, StagingFile = staging, WindowsAttributes = 2, CreationTime = created });
            var loaded = new UploadJournal(Path.Combine(folder, "journal")).Load().Files.Single();
            Assert.AreEqual(2, loaded.WindowsAttributes);
            Assert.AreEqual(created, loaded.CreationTime);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
