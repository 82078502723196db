namespace BucketMount.Backends.Tests.Contract;

public abstract partial class ObjectStoreContractTests
{
    private static readonly string[] TreeKeys =
    [
        "a.txt", "b/", "b/c.txt", "b/d/e.txt", "b/d/f.txt", "b.txt", "g/h/i.txt", "z",
    ];

    private async Task PutTreeAsync(IObjectStore store)
    {
        foreach (var key in TreeKeys)
        {
            await PutBytesAsync(store, key, Utf8(key), cancellationToken: Token);
        }
    }

    private static string Show(IEnumerable<ListEntry> entries) => string.Join(", ", entries.Select(e => e.IsPrefix ? e.Key + "(P)" : e.Key));

    [TestMethod]
    public async Task Listing_without_delimiter_returns_every_key_below_the_prefix_in_order()
    {
        await using var store = await CreateStoreAsync(Token);
        await PutTreeAsync(store);

        var all = await ListAllAsync(store, "", null, Token);
        var underB = await ListAllAsync(store, "b/", null, Token);

        Assert.AreEqual(string.Join(", ", TreeKeys.Order(StringComparer.Ordinal)), Show(all));
        Assert.AreEqual("b/, b/c.txt, b/d/e.txt, b/d/f.txt", Show(underB));
        Assert.IsTrue(all.All(e => e.Object!.Size == e.Key.Length), "listed sizes");
    }

    [TestMethod]
    public async Task Listing_with_delimiter_folds_deeper_keys_into_common_prefixes()
    {
        await using var store = await CreateStoreAsync(Token);
        await PutTreeAsync(store);

        var top = await ListAllAsync(store, "", "/", Token);
        var inB = await ListAllAsync(store, "b/", "/", Token);
        var inBD = await ListAllAsync(store, "b/d/", "/", Token);

        var expectedTop = Gaps.HasFlag(ContractGaps.DropsPrefixOfOnlyDeeperPrefixes)
            ? "a.txt, b.txt, b/(P), z" // s3rver omits g/ because it holds only the deeper prefix g/h/
            : "a.txt, b.txt, b/(P), g/(P), z";
        Assert.AreEqual(expectedTop, Show(top));
        Assert.AreEqual("b/, b/c.txt, b/d/(P)", Show(inB));
        Assert.AreEqual("b/d/e.txt, b/d/f.txt", Show(inBD));
    }

    [TestMethod]
    public async Task A_listing_resumes_after_a_key_or_a_common_prefix_it_gave()
    {
        await using var store = await CreateStoreAsync(Token);
        await PutTreeAsync(store);
        await PutBytesAsync(store, "b/e.txt", Utf8("e"), cancellationToken: Token);

        async Task<string> After(string? startAfter)
        {
            var entries = new List<ListEntry>();
            await foreach (var entry in store.ListAsync("b/", "/", startAfter, Token))
            {
                entries.Add(entry);
            }

            return Show(entries);
        }

        Assert.AreEqual("b/, b/c.txt, b/d/(P), b/e.txt", await After(null));
        Assert.AreEqual("b/d/(P), b/e.txt", await After("b/c.txt"));
        Assert.AreEqual("b/e.txt", await After("b/d/"), "a common prefix is not given twice");
        Assert.AreEqual("", await After("b/e.txt"));
    }

    [TestMethod]
    public async Task Listing_a_partial_name_prefix_matches_names_that_start_with_it()
    {
        await using var store = await CreateStoreAsync(Token);
        await PutTreeAsync(store);

        Assert.AreEqual("b.txt, b/(P)", Show(await ListAllAsync(store, "b", "/", Token)));
        Assert.AreEqual("b/d/(P)", Show(await ListAllAsync(store, "b/d", "/", Token)));
        Assert.AreEqual("", Show(await ListAllAsync(store, "nope", "/", Token)));
    }

    [TestMethod]
    public async Task A_prefix_holding_only_deeper_prefixes_is_listed()
    {
        await using var store = await CreateStoreAsync(Token);
        if (Gaps.HasFlag(ContractGaps.DropsPrefixOfOnlyDeeperPrefixes))
        {
            Assert.Inconclusive("this emulator omits a prefix holding only deeper prefixes (s3rver); real S3 lists it");
        }

        await PutBytesAsync(store, "g/h/i.txt", Utf8("i"), cancellationToken: Token);

        Assert.AreEqual("g/(P)", Show(await ListAllAsync(store, "", "/", Token)));
        Assert.AreEqual("g/h/(P)", Show(await ListAllAsync(store, "g/", "/", Token)));
    }

    [TestMethod]
    public async Task Listing_more_than_1000_keys_pages_inside_and_returns_all_in_order()
    {
        await using var store = await CreateStoreAsync(Token);
        var keys = Enumerable.Range(0, 1100).Select(i => $"many/{i:D5}.txt").ToList();
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Token },
            async (key, ct) => await PutBytesAsync(store, key, Utf8(key), cancellationToken: ct));
        await PutBytesAsync(store, "many/sub/deeper.txt", Utf8("d"), cancellationToken: Token);
        var before = store.Counters.Snapshot();

        var flat = await ListAllAsync(store, "many/", null, Token);
        var listing = store.Counters.Snapshot().Since(before);
        var grouped = await ListAllAsync(store, "many/", "/", Token);

        CollectionAssert.AreEqual(keys.Append("many/sub/deeper.txt").ToArray(), flat.Select(e => e.Key).ToArray());
        CollectionAssert.AreEqual(keys.Append("many/sub/").ToArray(), grouped.Select(e => e.Key).ToArray());
        Assert.IsTrue(grouped[^1].IsPrefix);
        if (listing.Retries == 0)
        {
            Assert.AreEqual(2, listing.Requests[RequestKind.List], "1101 keys are two pages of at most 1000, one LIST request each");
        }
        else
        {
            // A retried listing starts over, so it pays for its pages again.
            Assert.IsGreaterThan(2, listing.Requests[RequestKind.List]);
        }
    }

    [TestMethod]
    public async Task Listed_objects_carry_size_etag_and_time()
    {
        await using var store = await CreateStoreAsync(Token);
        var put = await PutBytesAsync(store, "x/y.bin", RandomBytes(1234, 4), new PutOptions { Metadata = new Dictionary<string, string> { ["mtime"] = "5" } }, Token);

        var entry = (await ListAllAsync(store, "x/", "/", Token)).Single();

        Assert.AreEqual(1234, entry.Object!.Size);
        Assert.AreEqual(put.ETag, entry.Object.ETag);
        if (store.Capabilities.ListingIncludesMetadata)
        {
            Assert.AreEqual("5", entry.Object.Metadata?.GetValueOrDefault("mtime"), "a store that says its listings carry metadata must fill it");
        }

        Assert.IsLessThan(TimeSpan.FromMinutes(10), (DateTimeOffset.UtcNow - entry.Object.LastModified).Duration());
    }

    [TestMethod]
    public async Task Listing_an_empty_store_returns_nothing()
    {
        await using var store = await CreateStoreAsync(Token);

        Assert.IsEmpty(await ListAllAsync(store, "", "/", Token));
        Assert.IsEmpty(await ListAllAsync(store, "", null, Token));
    }
}
