using System.Text;
using BucketMount.Backends;
using BucketMount.Backends.Decorators;
using BucketMount.Backends.Memory;

namespace BucketMount.Engine.Tests;

/// <summary>A file the engine is done with (uploaded, closed) leaves its registry, and nothing that raced that goes wrong.</summary>
[TestClass]
public sealed class RegistryReleaseTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task Files_written_and_uploaded_leave_the_registry_and_read_back_from_the_store()
    {
        await using var fx = new EngineFixture();
        await fx.Engine.CreateDirectoryAsync("/d", Token);
        for (var i = 0; i < 50; i++)
        {
            await fx.WriteFileAsync($"/d/f{i}", Encoding.UTF8.GetBytes($"content {i}"), Token);
        }

        await fx.Engine.WaitForUploadsAsync(null, Token);
        await fx.Engine.RenameAsync("/d/f0", "/d/renamed", noReplace: false, Token);
        await fx.Engine.SetAttributesAsync("/d/f1", new AttributeChanges { Mode = 0x1A4 }, Token);

        Assert.AreEqual(0, fx.Engine.GetStatistics().RegisteredFiles, "every file is a plain object again");
        Assert.IsEmpty(Directory.GetFiles(Path.Combine(fx.CacheDirectory, "staging")));
        Assert.AreEqual("content 0", Encoding.UTF8.GetString(await fx.ReadFileAsync("/d/renamed", Token)));
        Assert.AreEqual("content 49", Encoding.UTF8.GetString(await fx.ReadFileAsync("/d/f49", Token)));
        Assert.AreEqual(0x1A4, (await fx.Engine.GetAttributesAsync("/d/f1", Token)).Mode & 0xFFF);
        Assert.HasCount(50, await fx.Engine.ListDirectoryAsync("/d", Token));
        Assert.AreEqual(0, fx.Engine.GetStatistics().RegisteredFiles, "reading them registered them only while open");
    }

    [TestMethod]
    public async Task Renames_opens_and_deletes_racing_files_that_leave_the_registry_keep_one_file_with_the_last_content()
    {
        await using var fx = new EngineFixture();
        for (var round = 0; round < 30; round++)
        {
            var content = Encoding.UTF8.GetBytes($"round {round}");
            await fx.WriteFileAsync("/a", content, Token);

            // The upload finishing (and the file leaving the registry) races a rename and readers of both names.
            var rename = Task.Run(() => fx.Engine.RenameAsync("/a", "/b", noReplace: false, Token), Token);
            var readers = Enumerable.Range(0, 4).Select(r => Task.Run(async () =>
            {
                foreach (var name in new[] { "/a", "/b", "/a", "/b" })
                {
                    try
                    {
                        var read = await fx.ReadFileAsync(name, Token);
                        CollectionAssert.AreEqual(content, read, $"round {round}: {name} read back other bytes");
                    }
                    catch (FileSystemException e) when (e.Error == FsError.NotFound)
                    {
                        // Read before the write or after the rename moved it.
                    }
                }
            }, Token)).ToList();
            await rename;
            await Task.WhenAll(readers);
            await fx.Engine.WaitForUploadsAsync(null, Token);

            Assert.IsNull(await fx.Engine.TryGetAttributesAsync("/a", Token), $"round {round}: the old name is gone");
            Assert.AreEqual(content.Length, (await fx.Engine.GetAttributesAsync("/b", Token)).Size, $"round {round}");
            CollectionAssert.AreEqual(content, await fx.ReadFileAsync("/b", Token), $"round {round}");
            Assert.IsNull(await fx.Store.HeadAsync("a", Token), $"round {round}: the old object is gone");
            Assert.AreEqual(content.Length, (await fx.Store.HeadAsync("b", Token))?.Size, $"round {round}");
            await fx.Engine.DeleteFileAsync("/b", Token);
            Assert.IsNull(await fx.Store.HeadAsync("b", Token), $"round {round}: deleted");
        }

        Assert.AreEqual(0, fx.Engine.GetStatistics().RegisteredFiles);
    }

    [TestMethod]
    public async Task A_listing_answered_before_an_upload_finished_shows_the_uploaded_size_once_the_file_left_the_registry()
    {
        var inner = new MemoryObjectStore();
        await inner.PutAsync("d/f", new MemoryStream(new byte[100]), null, Token);
        var store = new ListingHeldStore(inner, "d/");
        await using var fx = new EngineFixture(store);
        await fx.Engine.GetAttributesAsync("/d", Token);

        var handle = await fx.Engine.OpenAsync("/d/f", OpenFlags.Write, Token);
        await handle.WriteAsync(0, new byte[3287], Token);

        // The store answers "f: 100 bytes", and the answer is slow to arrive.
        store.Hold();
        var listing = fx.Engine.ListDirectoryAsync("/d", Token);
        await store.Held.Task.WaitAsync(TimeSpan.FromSeconds(30), Token);

        // Meanwhile the new content is uploaded and the file leaves the registry.
        await handle.DisposeAsync();
        await fx.Engine.WaitForUploadsAsync(null, Token);
        Assert.AreEqual(0, fx.Engine.GetStatistics().RegisteredFiles);
        store.Release();

        Assert.AreEqual(3287, (await listing).Single(n => n.Name == "f").Size, "the listing that began while the file was registered shows it");
        Assert.AreEqual(3287, (await fx.Engine.ListDirectoryAsync("/d", Token)).Single(n => n.Name == "f").Size, "and the stale answer was not cached");
    }

    /// <summary>Once armed, holds the next listing of one prefix until released; it answers what the store held when asked.</summary>
    private sealed class ListingHeldStore(IObjectStore inner, string prefix) : ObjectStoreDecorator(inner)
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _armed;

        public TaskCompletionSource Held { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Hold() => Volatile.Write(ref _armed, 1);

        public void Release() => _release.TrySetResult();

        public override async IAsyncEnumerable<ListEntry> ListAsync(string listPrefix, string? delimiter,
            [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var answer = new List<ListEntry>();
            await foreach (var entry in Inner.ListAsync(listPrefix, delimiter, cancellationToken))
            {
                answer.Add(entry);
            }

            if (listPrefix == prefix && Interlocked.Exchange(ref _armed, 0) == 1)
            {
                Held.TrySetResult();
                await _release.Task.WaitAsync(cancellationToken);
            }

            foreach (var entry in answer)
            {
                yield return entry;
            }
        }
    }
}
