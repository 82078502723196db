using BucketMount.Backends;
using BucketMount.Backends.Memory;
using BucketMount.Engine.Reading;

namespace BucketMount.Engine.Tests;

/// <summary>
/// A program reading a directory's files one after another (tar, cp -r, grep -r) finds the next small files
/// fetched ahead, with never more than one GET per file, and one that reads a single file fetches nothing more.
/// </summary>
[TestClass]
public sealed class TreePrefetchTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task Reading_a_tree_in_listing_order_fetches_files_ahead_with_at_most_one_GET_each()
    {
        var (store, files) = await StoreWithTreeAsync();
        await using var fx = new EngineFixture(store);
        var events = new List<string>();
        store.Events = events;

        var read = 0;
        await WalkAsync(fx, "/tree", events, files, () => read++);

        var gets = store.Keys;
        var nonEmpty = files.Count(f => f.Value.Length > 0);
        Assert.AreEqual(files.Count, read, "the walk read every file");
        Assert.AreEqual(gets.Count, gets.Distinct().Count(), "no file fetched twice: " + string.Join(", ", gets.GroupBy(k => k).Where(g => g.Count() > 1).Select(g => g.Key)));
        Assert.IsLessThanOrEqualTo(nonEmpty, gets.Count, "at most one GET per file with data");

        // Fetched before the program asked: its GET came before the walk's read of it.
        List<string> snapshot;
        lock (events)
        {
            snapshot = [.. events];
        }

        var ahead = files.Keys.Count(path => snapshot.IndexOf("GET " + path[1..]) is var get and >= 0 && get < snapshot.IndexOf("read " + path));
        TestContext.WriteLine($"{gets.Count} GETs for {nonEmpty} files with data, {ahead} fetched ahead of the reader");
        Assert.IsGreaterThanOrEqualTo(nonEmpty * 3 / 4, ahead, $"only {ahead} of {nonEmpty} files were fetched ahead of the reader");
    }

    [TestMethod]
    public async Task A_program_reading_one_file_fetches_nothing_more_and_two_in_order_fetch_a_few_ahead()
    {
        var (store, files) = await StoreWithTreeAsync();
        await using var fx = new EngineFixture(store);
        var listed = await fx.Engine.ListDirectoryAsync("/tree", Token);
        var names = listed.Where(n => !n.IsDirectory && n.Size > 0).Select(n => "/tree/" + n.Name).ToList();

        await fx.ReadFileAsync(names[10], Token);
        await Task.Delay(200, Token);
        Assert.HasCount(1, store.Keys, "one file read, one GET: " + string.Join(", ", store.Keys));

        // Files far apart are not a walk either.
        await fx.ReadFileAsync(names[60], Token);
        await fx.ReadFileAsync(names[20], Token);
        await Task.Delay(200, Token);
        Assert.HasCount(3, store.Keys, "reads out of order fetch only themselves: " + string.Join(", ", store.Keys));

        // The second read in order starts the smallest window and the reader stops there.
        await fx.ReadFileAsync(names[21], Token);
        var bound = 4 + SiblingPrefetch.FirstWindow;
        // The window is fetched in the background: on a loaded machine that can take seconds (bounded, not timed).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (store.Keys.Count < bound && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, Token);
        }

        Assert.HasCount(bound, store.Keys, "two files read in order fetch the first window ahead: " + string.Join(", ", store.Keys));
    }

    /// <summary>Reads a directory like tar c: each entry in listing order, files whole, subdirectories as met.</summary>
    private async Task WalkAsync(EngineFixture fx, string directory, List<string> events, Dictionary<string, byte[]> files, Action counted)
    {
        foreach (var node in await fx.Engine.ListDirectoryAsync(directory, Token))
        {
            var path = directory + "/" + node.Name;
            if (node.IsDirectory)
            {
                await WalkAsync(fx, path, events, files, counted);
                continue;
            }

            lock (events)
            {
                events.Add("read " + path);
            }

            CollectionAssert.AreEqual(files[path], await fx.ReadFileAsync(path, Token), path);
            counted();
        }
    }

    /// <summary>~200 files of up to 200 KB, some empty, and a subdirectory in the middle, written through another mount (so with their indexes).</summary>
    private async Task<(ContentReadRecorder Store, Dictionary<string, byte[]> Files)> StoreWithTreeAsync()
    {
        var inner = new MemoryObjectStore();
        var random = new Random(21);
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        await using (var writer = new EngineFixture(inner, o => o with { IndexSettle = TimeSpan.FromSeconds(1.1) }))
        {
            await writer.Engine.CreateDirectoryAsync("/tree", Token);
            await writer.Engine.CreateDirectoryAsync("/tree/m", Token);
            for (var i = 0; i < 200; i++)
            {
                var path = i is >= 90 and < 110 ? $"/tree/m/sub{i:D3}.js" : $"/tree/f{i:D3}.js";
                var data = new byte[i % 37 == 0 ? 0 : random.Next(1, 200_000)];
                random.NextBytes(data);
                await writer.WriteFileAsync(path, data, Token);
                files[path] = data;
            }
        }

        return (new ContentReadRecorder(inner), files);
    }
}
