using BucketMount.Backends.Decorators;
using BucketMount.Backends.Maintenance;
using BucketMount.Backends.Memory;

namespace BucketMount.Backends.Tests.Maintenance;

[TestClass]
public sealed class UnfinishedUploadCleanupTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task Old_uploads_under_the_prefix_are_aborted_recent_ones_and_other_prefixes_are_left()
    {
        var memory = new MemoryObjectStore();
        var mounted = new PrefixedObjectStore(memory, "work/");
        var stale = (await mounted.BeginPartUploadAsync("a.bin", new PutOptions(), Token))!;
        await stale.UploadPartAsync(1, new MemoryUploadSource(new byte[1000]), 0, 1000, Token);
        var alsoStale = (await mounted.BeginPartUploadAsync("dir/b.bin", new PutOptions(), Token))!;
        var elsewhere = (await memory.BeginPartUploadAsync("other/c.bin", new PutOptions(), Token))!;
        var inTwoHours = DateTimeOffset.UtcNow.AddHours(2);

        var recent = await RunAsync(mounted, TimeSpan.FromHours(24), dryRun: false, DateTimeOffset.UtcNow);
        var dry = await RunAsync(mounted, TimeSpan.FromHours(1), dryRun: true, inTwoHours);
        Assert.HasCount(3, memory.OpenPartUploads, "neither the recent nor the dry run aborted anything");
        var done = await RunAsync(mounted, TimeSpan.FromHours(1), dryRun: false, inTwoHours);

        Assert.IsTrue(recent.All(r => r.Action == CleanupAction.KeptAsRecent));
        CollectionAssert.AreEqual(new[] { "a.bin", "dir/b.bin" }, dry.Where(r => r.Action == CleanupAction.WouldAbort).Select(r => r.Upload.Key).ToArray());
        CollectionAssert.AreEqual(new[] { (stale.UploadId, CleanupAction.Aborted), (alsoStale.UploadId, CleanupAction.Aborted) },
            done.Select(r => (r.Upload.UploadId, r.Action)).ToArray());
        Assert.AreEqual(elsewhere.UploadId, memory.OpenPartUploads.Single().UploadId, "only the prefix given is swept");
        await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => stale.CompleteAsync(1000, Token), "its parts are gone");
    }

    private async Task<List<CleanupResult>> RunAsync(IObjectStore store, TimeSpan olderThan, bool dryRun, DateTimeOffset now)
    {
        var results = new List<CleanupResult>();
        await foreach (var result in UnfinishedUploadCleanup.RunAsync(store, "", olderThan, dryRun, now, Token))
        {
            results.Add(result);
        }

        return results;
    }
}
