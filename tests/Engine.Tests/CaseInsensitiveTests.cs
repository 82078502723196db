using BucketMount.Backends.Memory;

namespace BucketMount.Engine.Tests;

/// <summary>The Windows host's case-insensitive, case-preserving names.</summary>
[TestClass]
public sealed class CaseInsensitiveTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    private async Task<EngineFixture> FixtureAsync(params string[] keys)
    {
        var store = new MemoryObjectStore();
        foreach (var key in keys)
        {
            await store.PutAsync(key, new MemoryStream(System.Text.Encoding.UTF8.GetBytes(key)), null, Token);
        }

        return new EngineFixture(store, o => o with { CaseInsensitive = true });
    }

    [TestMethod]
    public async Task Opening_README_TXT_finds_readme_txt_and_keeps_its_spelling()
    {
        await using var fx = await FixtureAsync("Docs/readme.txt");

        var node = await fx.Engine.GetAttributesAsync("/DOCS/README.TXT", Token);
        var content = await fx.ReadFileAsync("/docs/ReadMe.Txt", Token);

        Assert.AreEqual("readme.txt", node.Name);
        Assert.AreEqual("Docs/readme.txt", System.Text.Encoding.UTF8.GetString(content));
        CollectionAssert.AreEqual(new[] { "Docs" }, (await fx.Engine.ListDirectoryAsync("/", Token)).Select(n => n.Name).ToArray());
    }

    [TestMethod]
    public async Task Writing_through_another_case_changes_the_existing_object_not_a_new_one()
    {
        await using var fx = await FixtureAsync("Report.doc");

        await fx.WriteFileAsync("/REPORT.DOC", [1, 2, 3], Token);
        await fx.Engine.WaitForUploadsAsync(null, Token);

        Assert.AreEqual(3, (await fx.Store.HeadAsync("Report.doc", Token))?.Size);
        Assert.IsNull(await fx.Store.HeadAsync("REPORT.DOC", Token));
    }

    [TestMethod]
    public async Task Two_keys_differing_only_in_case_both_stay_reachable_by_exact_name_and_a_loose_name_gets_the_first()
    {
        await using var fx = await FixtureAsync("a.txt", "A.txt");

        Assert.AreEqual("a.txt", (await fx.Engine.GetAttributesAsync("/a.txt", Token)).Name);
        Assert.AreEqual("A.txt", (await fx.Engine.GetAttributesAsync("/A.txt", Token)).Name);
        Assert.AreEqual("A.txt", (await fx.Engine.GetAttributesAsync("/a.TXT", Token)).Name, "ordinal first of the matches");
        Assert.HasCount(2, await fx.Engine.ListDirectoryAsync("/", Token));
    }

    [TestMethod]
    public async Task A_case_sensitive_mount_does_not_match_other_cases()
    {
        var store = new MemoryObjectStore();
        await store.PutAsync("readme.txt", new MemoryStream([1]), null, Token);
        await using var fx = new EngineFixture(store);

        Assert.IsNull(await fx.Engine.TryGetAttributesAsync("/README.TXT", Token));
    }
}
