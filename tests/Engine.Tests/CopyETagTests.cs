using BucketMount.Backends.Memory;

namespace BucketMount.Engine.Tests;

/// <summary>
/// Stores where a server-side copy is a new version with an ETag of its own (Azure's Copy Blob): the mount must
/// remember the copy's ETag, not its source's, or its next read of the new name asks for a version that is not
/// there (If-Match fails) and the program gets EIO. Found by `git gc` on an Azurite mount: the pack git writes,
/// fsyncs, closes and renames twice read back as SIGBUS.
/// </summary>
[TestClass]
public sealed class CopyETagTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task A_stored_file_renamed_twice_reads_back_where_copies_get_new_etags()
    {
        await using var fx = new EngineFixture(new MemoryObjectStore { CopiesGetNewETags = true });
        var data = Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray();
        await fx.WriteFileAsync("/tmp_pack", data, Token);
        await fx.Engine.WaitForUploadsAsync(null, Token);

        await fx.Engine.RenameAsync("/tmp_pack", "/.tmp-pack", noReplace: false, Token);
        await fx.Engine.RenameAsync("/.tmp-pack", "/pack", noReplace: false, Token);

        CollectionAssert.AreEqual(data, await fx.ReadFileAsync("/pack", Token));
        Assert.AreEqual((await fx.Store.HeadAsync("pack", Token))!.ETag, (await fx.Engine.GetAttributesAsync("/pack", Token)).ETag);
    }
}
