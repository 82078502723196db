namespace BucketMount.Backends.Tests.Contract;

public abstract partial class ObjectStoreContractTests
{
    [TestMethod]
    public async Task Ranged_reads_at_the_start_middle_end_and_past_the_end()
    {
        await using var store = await CreateStoreAsync(Token);
        var data = RandomBytes(10_000, 5);
        await PutBytesAsync(store, "r", data, cancellationToken: Token);
        var buffer = new byte[4096];

        Assert.AreEqual(4096, await store.ReadAsync("r", 0, buffer, null, Token), "at 0");
        CollectionAssert.AreEqual(data[..4096], buffer);

        Assert.AreEqual(100, await store.ReadAsync("r", 5000, buffer.AsMemory(0, 100), null, Token), "middle");
        CollectionAssert.AreEqual(data[5000..5100], buffer[..100]);

        Assert.AreEqual(1000, await store.ReadAsync("r", 9000, buffer, null, Token), "short read at the end");
        CollectionAssert.AreEqual(data[9000..], buffer[..1000]);

        Assert.AreEqual(1, await store.ReadAsync("r", 9999, buffer, null, Token), "last byte");
        Assert.AreEqual(data[9999], buffer[0]);

        Assert.AreEqual(0, await store.ReadAsync("r", 10_000, buffer, null, Token), "exactly at the end");
        Assert.AreEqual(0, await store.ReadAsync("r", 50_000, buffer, null, Token), "past the end");
    }

    [TestMethod]
    public async Task An_empty_buffer_reads_nothing_and_sends_no_request()
    {
        await using var store = await CreateStoreAsync(Token);
        await PutBytesAsync(store, "r", RandomBytes(100, 6), cancellationToken: Token);
        var before = store.Counters.Snapshot();

        Assert.AreEqual(0, await store.ReadAsync("r", 10, Memory<byte>.Empty, null, Token));
        Assert.AreEqual(0, store.Counters.Snapshot().Since(before).Requests[RequestKind.Get]);
    }

    [TestMethod]
    public async Task ReadTo_copies_a_range_or_the_rest_to_a_stream()
    {
        await using var store = await CreateStoreAsync(Token);
        var data = RandomBytes(50_000, 7);
        await PutBytesAsync(store, "s", data, cancellationToken: Token);

        using var range = new MemoryStream();
        Assert.AreEqual(1000, await store.ReadToAsync("s", 100, 1000, range, null, Token));
        CollectionAssert.AreEqual(data[100..1100], range.ToArray());

        using var rest = new MemoryStream();
        Assert.AreEqual(10_000, await store.ReadToAsync("s", 40_000, null, rest, null, Token));
        CollectionAssert.AreEqual(data[40_000..], rest.ToArray());

        using var beyond = new MemoryStream();
        Assert.AreEqual(0, await store.ReadToAsync("s", 60_000, 10, beyond, null, Token));
        Assert.AreEqual(0, beyond.Length);
    }
}
