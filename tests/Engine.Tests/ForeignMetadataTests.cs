using BucketMount.Backends;
using BucketMount.Backends.Memory;

namespace BucketMount.Engine.Tests;

/// <summary>
/// User-metadata keys another tool wrote (rclone's md5chksum, an application's own tags) survive the mount rewriting
/// an object's metadata: chmod's copy in place and a rename's copy carry them along with ours.
/// </summary>
[TestClass]
public sealed class ForeignMetadataTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task Chmod_and_rename_keep_another_tools_metadata_keys()
    {
        var store = new MemoryObjectStore();
        var theirs = new Dictionary<string, string> { ["mode"] = "33188", ["md5chksum"] = "q1w2e3", ["project"] = "blue" };
        await store.PutAsync("f", new MemoryStream([1, 2, 3]), new PutOptions { Metadata = theirs }, Token);
        await using var fx = new EngineFixture(store);

        await fx.Engine.SetAttributesAsync("/f", new AttributeChanges { Mode = 0x8000 | 0x1ED }, Token);
        var chmodded = (await store.HeadAsync("f", Token))!.Metadata!;
        Assert.AreEqual((0x8000 | 0x1ED).ToString(System.Globalization.CultureInfo.InvariantCulture), chmodded["mode"], "our change is stored");
        Assert.AreEqual("q1w2e3", chmodded.GetValueOrDefault("md5chksum"), "chmod keeps another tool's key");
        Assert.AreEqual("blue", chmodded.GetValueOrDefault("project"));

        await fx.Engine.RenameAsync("/f", "/g", false, Token);
        var renamed = (await store.HeadAsync("g", Token))!.Metadata!;
        Assert.AreEqual("q1w2e3", renamed.GetValueOrDefault("md5chksum"), "rename keeps another tool's key");
        Assert.AreEqual("blue", renamed.GetValueOrDefault("project"));
        Assert.AreEqual(chmodded["mode"], renamed["mode"]);
    }
}
