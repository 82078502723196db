namespace BucketMount.Backends.Tests.Contract;

public abstract partial class ObjectStoreContractTests
{
    [TestMethod]
    public async Task Put_if_none_match_creates_once_then_fails_with_precondition_failed()
    {
        await using var store = await CreateStoreAsync(Token);
        if (Gaps.HasFlag(ContractGaps.NoConditionalWrites))
        {
            Assert.IsFalse(store.Capabilities.ConditionalWrites, "a store whose emulator ignores conditions must not claim them");
            Assert.Inconclusive("this emulator ignores If-None-Match on PUT (s3rver); real S3 honours it");
        }

        Assert.IsTrue(store.Capabilities.ConditionalWrites);
        await PutBytesAsync(store, "once", Utf8("first"), new PutOptions { IfNoneMatch = true }, Token);
        var error = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() =>
            PutBytesAsync(store, "once", Utf8("second"), new PutOptions { IfNoneMatch = true }, Token));

        Assert.AreEqual(ObjectStoreErrorKind.PreconditionFailed, error.Kind);
        Assert.AreEqual("first", System.Text.Encoding.UTF8.GetString(await ReadAllAsync(store, "once", Token)));
    }

    [TestMethod]
    public async Task Put_if_match_succeeds_on_the_current_etag_and_fails_on_a_stale_one()
    {
        await using var store = await CreateStoreAsync(Token);
        if (Gaps.HasFlag(ContractGaps.NoConditionalWrites))
        {
            Assert.Inconclusive("this emulator ignores If-Match on PUT (s3rver); real S3 honours it");
        }

        var v1 = await PutBytesAsync(store, "cas", Utf8("v1"), cancellationToken: Token);
        var v2 = await PutBytesAsync(store, "cas", Utf8("v2"), new PutOptions { IfMatch = v1.ETag }, Token);
        var error = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() =>
            PutBytesAsync(store, "cas", Utf8("v3"), new PutOptions { IfMatch = v1.ETag }, Token));

        Assert.AreEqual(ObjectStoreErrorKind.PreconditionFailed, error.Kind);
        StringAssert.Contains(error.Message, "cas");
        Assert.AreEqual(v2.ETag, (await store.HeadAsync("cas", Token))!.ETag);
        Assert.AreEqual("v2", System.Text.Encoding.UTF8.GetString(await ReadAllAsync(store, "cas", Token)));
    }

    [TestMethod]
    public async Task Read_if_match_fails_with_precondition_failed_once_the_object_changed()
    {
        await using var store = await CreateStoreAsync(Token);
        if (Gaps.HasFlag(ContractGaps.NoConditionalReads))
        {
            Assert.Inconclusive("this emulator ignores If-Match on GET (s3rver); real S3 honours it");
        }

        var v1 = await PutBytesAsync(store, "moving", Utf8("version one"), cancellationToken: Token);
        var buffer = new byte[64];
        Assert.AreEqual(11, await store.ReadAsync("moving", 0, buffer, new ReadOptions { IfMatch = v1.ETag }, Token));

        await PutBytesAsync(store, "moving", Utf8("version two!"), cancellationToken: Token);
        var error = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() =>
            store.ReadAsync("moving", 0, buffer, new ReadOptions { IfMatch = v1.ETag }, Token));

        Assert.AreEqual(ObjectStoreErrorKind.PreconditionFailed, error.Kind);
    }
}
