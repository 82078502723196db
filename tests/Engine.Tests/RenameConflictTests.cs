using BucketMount.Backends;
using BucketMount.Backends.Memory;

namespace BucketMount.Engine.Tests;

/// <summary>
/// A file with unsaved changes renamed onto a name (by a file rename, or moved by its directory's) is uploaded
/// replacing exactly what stood at the name then, or only if the name is still free: another writer's object that
/// lands there between our rename and our upload is a conflict, and with KeepBoth both are kept, also after a crash.
/// </summary>
[TestClass]
public sealed class RenameConflictTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    [DataRow("onto an existing file", false)]
    [DataRow("onto a free name", false)]
    [DataRow("moved by its directory", false)]
    [DataRow("onto an existing file", true)]
    [DataRow("onto a free name", true)]
    [DataRow("moved by its directory", true)]
    public async Task Another_writers_object_landing_after_our_rename_is_kept_beside_ours(string how, bool crash)
    {
        var store = new MemoryObjectStore();
        await using var host = new ModelEngineHost(store, new ModelScenario { Conflicts = ConflictPolicy.KeepBoth, WriteBackDelay = TimeSpan.FromMinutes(10) }, seed: 1);
        await host.Engine.CreateDirectoryAsync("/d", Token);
        if (how == "onto an existing file")
        {
            await WriteAsync(host.Engine, "/d/doc.txt", "the original");
            await host.Engine.WaitForUploadsAsync(null, Token);
        }

        // Ours: closed, waiting out the write-back delay under a temporary name.
        await WriteAsync(host.Engine, "/d/doc.tmp", "ours");
        var (from, to, key) = how == "moved by its directory" ? ("/d", "/e", "e/doc.tmp") : ("/d/doc.tmp", "/d/doc.txt", "d/doc.txt");
        await host.Engine.RenameAsync(from, to, noReplace: false, Token);
        if (crash)
        {
            // Theirs lands while the mount is down (a recovered upload starts at once, so after the restart it could
            // beat theirs); the journal must carry the condition: a new engine on (a copy of) the same cache finishes
            // the upload and meets their object.
            await store.PutAsync(key, new MemoryStream("theirs"u8.ToArray()), null, Token);
            await host.CrashAndRestartAsync(tornRecord: false, new Random(1), Token);
        }
        else
        {
            await store.PutAsync(key, new MemoryStream("theirs"u8.ToArray()), null, Token);
        }

        await host.Engine.WaitForUploadsAsync(null, Token);

        Assert.AreEqual("theirs", await TextAsync(store, key), "their object stays under the name");
        var directory = key[..(key.LastIndexOf('/') + 1)];
        var copies = new List<string>();
        await foreach (var entry in store.ListAsync(directory, null, Token))
        {
            if (entry.Key.Contains(".conflict-", StringComparison.Ordinal))
            {
                copies.Add(entry.Key);
            }
        }

        Assert.HasCount(1, copies, "ours was kept beside it");
        Assert.AreEqual("ours", await TextAsync(store, copies[0]));
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public async Task Without_another_writer_the_rename_onto_a_file_replaces_it_without_a_conflict(bool crash)
    {
        var store = new MemoryObjectStore();
        await using var host = new ModelEngineHost(store, new ModelScenario { Conflicts = ConflictPolicy.KeepBoth, WriteBackDelay = TimeSpan.FromMinutes(10) }, seed: 1);
        await WriteAsync(host.Engine, "/doc.txt", "the original");
        await host.Engine.WaitForUploadsAsync(null, Token);
        await WriteAsync(host.Engine, "/doc.tmp", "ours");
        if (crash)
        {
            await host.Engine.RenameAsync("/doc.tmp", "/doc.txt", noReplace: false, Token);

            // Recovered from the journal: the upload still replaces the original it was renamed onto.
            await host.CrashAndRestartAsync(tornRecord: false, new Random(1), Token);
        }
        else
        {
            // The original open here too, its own unsaved change replaced by the rename: its upload, which may have
            // landed unseen, is not someone else's.
            var original = await host.Engine.OpenAsync("/doc.txt", OpenFlags.ReadWrite, Token);
            await original.WriteAsync(0, "x"u8.ToArray(), Token);
            await host.Engine.RenameAsync("/doc.tmp", "/doc.txt", noReplace: false, Token);
            await original.ReleaseAsync(Token);
        }

        await host.Engine.WaitForUploadsAsync(null, Token);

        Assert.AreEqual("ours", await TextAsync(store, "doc.txt"));
        Assert.AreEqual(0L, host.Engine.GetStatistics().Conflicts);
        var keys = new List<string>();
        await foreach (var entry in store.ListAsync("", null, Token))
        {
            keys.Add(entry.Key);
        }

        CollectionAssert.AreEquivalent(new[] { "doc.txt" }, keys.Where(k => !k.StartsWith('.')).ToList());
    }

    private async Task WriteAsync(MountEngine engine, string path, string text)
    {
        await using var handle = await engine.OpenAsync(path, OpenFlags.Write | OpenFlags.Create | OpenFlags.Truncate, Token);
        await handle.WriteAsync(0, System.Text.Encoding.UTF8.GetBytes(text), Token);
    }

    private async Task<string> TextAsync(IObjectStore store, string key)
    {
        var info = await store.HeadAsync(key, Token) ?? throw new AssertFailedException($"{key} is not in the store");
        var buffer = new byte[info.Size];
        var read = await store.ReadAsync(key, 0, buffer, null, Token);
        return System.Text.Encoding.UTF8.GetString(buffer, 0, read);
    }
}
