namespace BucketMount.Backends.Tests.Contract;

public abstract partial class ObjectStoreContractTests
{
    public static IEnumerable<object[]> AwkwardKeys =>
    [
        ["with space.txt"],
        ["ünïcødé/日本語/файл.txt"],
        ["emoji 🎉.txt"],
        ["plus+percent%hash#question?amp&.txt"],
        ["equals=semi;comma,at@dollar$.txt"],
        ["tilde~quote'bang!paren(x).txt"],
        ["dir/"],
        ["nested/dir/"],
        ["a//double-slash"],
        ["dots/../escape-attempt"],
        ["./dot-segment"],
        ["trailing-dot."],
        ["CON"],
        ["back\\slash"],
        ["control\u0001and\u001Fchars"],
        ["escapes %41%2F%25 stay text"],
    ];

    [TestMethod]
    [DynamicData(nameof(AwkwardKeys))]
    public async Task Awkward_keys_round_trip_through_put_head_read_list_and_delete(string key)
    {
        await using var store = await CreateStoreAsync(Token);
        if (Gaps.HasFlag(ContractGaps.NormalizesDotSegments) && (key.Contains("//", StringComparison.Ordinal) || key.Split('/').Any(s => s is "." or "..")))
        {
            Assert.Inconclusive("this emulator normalizes '.', '..' and '//' in keys (s3rver); S3 and fauxqs keep them");
        }

        if (Gaps.HasFlag(ContractGaps.NoControlCharactersInKeys) && key.Any(char.IsControl))
        {
            Assert.Inconclusive("this emulator refuses keys with control characters (Azurite answers 500)");
        }

        if (key.Contains('\\', StringComparison.Ordinal) && !store.Capabilities.BackslashInKeys)
        {
            await PutBytesAsync(store, key, Utf8("x"), cancellationToken: Token);
            Assert.IsNotNull(await store.HeadAsync(key.Replace('\\', '/'), Token), "a store that says it turns '\\' into '/' does so");
            return;
        }

        var data = Utf8("content of " + key);

        await PutBytesAsync(store, key, data, cancellationToken: Token);

        Assert.AreEqual(data.Length, (await store.HeadAsync(key, Token))?.Size, "head");
        CollectionAssert.AreEqual(data, await ReadAllAsync(store, key, Token), "read");
        var listed = await ListAllAsync(store, "", null, Token);
        CollectionAssert.AreEqual(new[] { key }, listed.Select(e => e.Key).ToArray(), "list");
        Assert.IsFalse(listed[0].IsPrefix);
        await store.DeleteAsync(key, Token);
        Assert.IsNull(await store.HeadAsync(key, Token), "deleted");
        Assert.IsEmpty(await ListAllAsync(store, "", null, Token));
    }

    /// <summary>
    /// XML 1.0 cannot carry U+0001, so S3 listings ask for encoding-type=url; one such key written by another tool
    /// must not break the listing of its folder, its siblings or a batch delete.
    /// </summary>
    [TestMethod]
    public async Task Keys_with_characters_xml_cannot_carry_list_in_folders_and_delete_in_batches()
    {
        await using var store = await CreateStoreAsync(Token);
        if (Gaps.HasFlag(ContractGaps.NoControlCharactersInKeys))
        {
            Assert.Inconclusive("this emulator refuses keys with control characters (Azurite answers 500)");
        }

        string[] keys = ["dir\u0001/inner", "dir/a\u0002b", "dir/plain", "dir/x%01y"];
        foreach (var key in keys)
        {
            await PutBytesAsync(store, key, Utf8(key), cancellationToken: Token);
        }

        var top = await ListAllAsync(store, "", "/", Token);
        var inside = await ListAllAsync(store, "dir/", "/", Token);
        var deeper = await ListAllAsync(store, "dir\u0001/", "/", Token);

        CollectionAssert.AreEqual(new[] { "dir\u0001/", "dir/" }, top.Select(e => e.Key).ToArray(), "top level");
        CollectionAssert.AreEqual(new[] { "dir/a\u0002b", "dir/plain", "dir/x%01y" }, inside.Select(e => e.Key).ToArray(), "inside");
        CollectionAssert.AreEqual(new[] { "dir\u0001/inner" }, deeper.Select(e => e.Key).ToArray(), "below the prefix with a control character");
        Assert.IsEmpty(await store.DeleteManyAsync(keys, Token), "batch delete");
        Assert.IsEmpty(await ListAllAsync(store, "", null, Token), "all gone");
    }

    [TestMethod]
    public async Task Keys_are_case_sensitive()
    {
        await using var store = await CreateStoreAsync(Token);
        if (Gaps.HasFlag(ContractGaps.CaseInsensitiveKeys))
        {
            Assert.Inconclusive("this target's keys are case-insensitive (a case-insensitive file system under the local store)");
        }

        await PutBytesAsync(store, "Readme.txt", Utf8("upper"), cancellationToken: Token);
        await PutBytesAsync(store, "readme.txt", Utf8("lower"), cancellationToken: Token);

        Assert.AreEqual("upper", System.Text.Encoding.UTF8.GetString(await ReadAllAsync(store, "Readme.txt", Token)));
        Assert.AreEqual("lower", System.Text.Encoding.UTF8.GetString(await ReadAllAsync(store, "readme.txt", Token)));
    }

    [TestMethod]
    public async Task A_long_key_segment_of_200_bytes_round_trips()
    {
        await using var store = await CreateStoreAsync(Token);
        if (Gaps.HasFlag(ContractGaps.NoLongKeySegments))
        {
            Assert.Inconclusive("this emulator crashes on key segments near 255 bytes (s3rver); real S3 accepts them");
        }

        var key = "long/" + new string('x', 200) + ".txt";
        await PutBytesAsync(store, key, Utf8("long"), cancellationToken: Token);

        Assert.AreEqual(4, (await store.HeadAsync(key, Token))?.Size);
    }

    [TestMethod]
    public async Task Empty_keys_and_keys_with_nul_are_refused_as_invalid()
    {
        await using var store = await CreateStoreAsync(Token);

        foreach (var key in new[] { "", "nul\0inside" })
        {
            var error = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => PutBytesAsync(store, key, Utf8("x"), cancellationToken: Token));
            Assert.AreEqual(ObjectStoreErrorKind.InvalidArgument, error.Kind, $"key '{key}'");
        }
    }
}
