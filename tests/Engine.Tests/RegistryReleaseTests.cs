using System.Text;
using BucketMount.Backends;

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
}
