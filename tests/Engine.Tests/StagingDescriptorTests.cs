using BucketMount.Backends.Memory;

namespace BucketMount.Engine.Tests;

/// <summary>
/// Issue 17 defect 9: many files open at once do not hold a descriptor each. Staging files lease descriptors from a
/// bounded pool (closed least recently used first, reopened by path), so the mount keeps descriptors to spare for
/// its uploads and its control socket; every byte still lands, and no staging file stays behind.
/// </summary>
[TestClass]
public sealed class StagingDescriptorTests
{
    private const int Files = 300;
    private const int Budget = 16;
    private const int Size = 200_000;

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task Three_hundred_open_files_hold_at_most_the_descriptor_budget_and_all_land()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Inconclusive("counts the process's descriptors in /proc/self/fd");
        }

        var store = new MemoryObjectStore();
        await using var fx = new EngineFixture(store, o => o with { StagingDescriptors = Budget, WriteBackDelay = TimeSpan.FromMinutes(10) });
        var staging = Path.Combine(fx.CacheDirectory, "staging");
        var handles = new List<FileHandle>();
        var peak = 0;
        for (var i = 0; i < Files; i++)
        {
            var handle = await fx.Engine.OpenAsync($"/f{i}", OpenFlags.ReadWrite | OpenFlags.Create, Token);
            handles.Add(handle);
            await handle.WriteAsync(0, Content(i, 0), Token);
            peak = Math.Max(peak, DescriptorsInto(staging));
        }

        // Every file again, in the same order: each one's descriptor was closed meanwhile and is opened again.
        for (var i = 0; i < Files; i++)
        {
            await handles[i].WriteAsync(Size, Content(i, 1), Token);
            var back = new byte[100];
            Assert.AreEqual(100, await handles[i].ReadAsync(Size - 50, back, Token));
            CollectionAssert.AreEqual(Content(i, 0)[^50..].Concat(Content(i, 1)[..50]).ToArray(), back, $"f{i} read back");
            peak = Math.Max(peak, DescriptorsInto(staging));
        }

        TestContext.WriteLine($"at most {peak} descriptors into the staging folder for {Files} open files");
        Assert.IsLessThanOrEqualTo(Budget, peak, "the staging files held no more descriptors than the budget");

        foreach (var handle in handles)
        {
            await handle.ReleaseAsync(Token);
        }

        await fx.Engine.WaitForUploadsAsync(null, Token);
        for (var i = 0; i < Files; i++)
        {
            var stored = new byte[2 * Size];
            Assert.AreEqual(2 * Size, await store.ReadAsync($"f{i}", 0, stored, null, Token), $"f{i} size in the store");
            CollectionAssert.AreEqual(Content(i, 0).Concat(Content(i, 1)).ToArray(), stored, $"f{i} in the store");
        }

        Assert.AreEqual(0, DescriptorsInto(staging), "no staging descriptor open once everything is closed and uploaded");
        Assert.IsEmpty(Directory.Exists(staging) ? Directory.GetFiles(staging) : [], "no staging file left behind");
    }

    private static byte[] Content(int file, int part)
    {
        var data = new byte[Size];
        new Random((file * 2) + part).NextBytes(data);
        return data;
    }

    /// <summary>The process's open descriptors whose file lies in <paramref name="folder"/>.</summary>
    private static int DescriptorsInto(string folder)
    {
        var count = 0;
        foreach (var fd in Directory.GetFiles("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith(folder + "/", StringComparison.Ordinal))
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // Closed while we looked.
            }
        }

        return count;
    }
}
