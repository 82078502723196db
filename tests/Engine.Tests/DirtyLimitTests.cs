namespace BucketMount.Engine.Tests;

/// <summary>
/// The dirty-data limit (MaxDirtyBytes, the mount option --max-dirty-mib) is a hard cap even when many writers race
/// for it: each write reserves its growth atomically before writing. Verdicts compare byte counts, never time.
/// </summary>
[TestClass]
public sealed class DirtyLimitTests
{
    private const int MiB = 1024 * 1024;
    private const int Writers = 16;
    private const int Rounds = 50;
    private const long Limit = 4L * MiB;

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task Concurrent_writers_never_together_pass_the_dirty_limit()
    {
        // Each round starts a fresh engine: 16 writers, each on its own new file, each write 1 MiB, all released at
        // once. The limit holds four such writes. Before the fix writers that checked the total together all passed
        // (on a 2-core machine in about 1 round of 5: 19 and 23 of 100), so the peak went past the limit; 50 rounds
        // make a miss of that bug unlikely (about 1 in 50,000), while with the fix every round holds.
        var data = new byte[1 * MiB];
        new Random(17).NextBytes(data);
        var overshoots = new List<string>();
        for (var round = 0; round < Rounds; round++)
        {
            await using var fx = new EngineFixture(configure: o => o with { MaxDirtyBytes = Limit, WriteBackDelay = TimeSpan.FromHours(1) });
            var handles = new List<FileHandle>();
            for (var i = 0; i < Writers; i++)
            {
                handles.Add(await fx.Engine.OpenAsync($"/w{i}", OpenFlags.Write | OpenFlags.Create, Token));
            }

            try
            {
                // Every writer waits on one signal, then all go at once from the thread pool.
                var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var writes = handles.Select(async h =>
                {
                    await go.Task;
                    try
                    {
                        await h.WriteAsync(0, data, Token);
                        return true;
                    }
                    catch (FileSystemException e) when (e.Error == FsError.NoSpace)
                    {
                        return false;
                    }
                }).ToList();
                go.SetResult();
                var accepted = (await Task.WhenAll(writes)).Count(ok => ok);

                if (fx.Engine.PeakDirtyBytes > Limit || accepted != Limit / MiB)
                {
                    overshoots.Add($"round {round}: peak {fx.Engine.PeakDirtyBytes:N0} bytes, {accepted} writes of 1 MiB accepted");
                }

                Assert.AreEqual(accepted * (long)MiB, fx.Engine.GetStatistics().DirtyBytes, $"round {round}: dirty bytes are what the accepted writes hold; refused ones gave back their reservation");
            }
            finally
            {
                foreach (var handle in handles)
                {
                    await handle.DisposeAsync();
                }
            }
        }

        Assert.IsEmpty(overshoots, $"the limit of {Limit:N0} bytes was passed in {overshoots.Count} of {Rounds} rounds:\n" + string.Join("\n", overshoots));
    }
}
