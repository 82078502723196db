using BucketMount.Backends;
using BucketMount.Backends.Decorators;
using BucketMount.Backends.Memory;

namespace BucketMount.Engine.Tests;

/// <summary>
/// Issue 17 defect 7: a directory rename forgets only what was cached below its two names, lets the writers of the
/// files it moved go on while the old objects are deleted, and moves open and dirty files' data with it.
/// </summary>
[TestClass]
public sealed class DirectoryRenameTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task A_directory_rename_keeps_what_is_cached_elsewhere_and_forgets_both_subtrees()
    {
        var store = new MemoryObjectStore();
        await using var fx = new EngineFixture(store);
        await fx.Engine.CreateDirectoryAsync("/other", Token);
        await fx.Engine.CreateDirectoryAsync("/d", Token);
        await fx.WriteFileAsync("/other/a", [1, 2, 3], Token);
        await fx.WriteFileAsync("/other/b", [4], Token);
        await fx.WriteFileAsync("/d/x", [5, 6], Token);
        await fx.Engine.WaitForUploadsAsync(null, Token);

        // Learnt before the rename: the unrelated directory, and the answers the rename makes wrong.
        Assert.HasCount(2, await fx.Engine.ListDirectoryAsync("/other", Token));
        await fx.Engine.GetAttributesAsync("/other/a", Token);
        await fx.Engine.GetAttributesAsync("/d/x", Token);
        Assert.HasCount(1, await fx.Engine.ListDirectoryAsync("/d", Token));
        await Assert.ThrowsExactlyAsync<FileSystemException>(() => fx.Engine.GetAttributesAsync("/e/x", Token));

        await fx.Engine.RenameAsync("/d", "/e", noReplace: false, Token);

        var before = store.Counters.Snapshot();
        Assert.HasCount(2, await fx.Engine.ListDirectoryAsync("/other", Token));
        Assert.AreEqual(3L, (await fx.Engine.GetAttributesAsync("/other/a", Token)).Size);
        Assert.AreEqual(1L, (await fx.Engine.GetAttributesAsync("/other/b", Token)).Size);
        var asked = store.Counters.Snapshot().Since(before);
        var requests = asked.Requests[RequestKind.List] + asked.Requests[RequestKind.Head] + asked.Requests[RequestKind.Get];
        Assert.AreEqual(0L, requests, "the unrelated directory's listing and lookups stay cached across the rename");

        Assert.AreEqual(FsError.NotFound, (await Assert.ThrowsExactlyAsync<FileSystemException>(() => fx.Engine.GetAttributesAsync("/d/x", Token))).Error);
        Assert.AreEqual(FsError.NotFound, (await Assert.ThrowsExactlyAsync<FileSystemException>(() => fx.Engine.GetAttributesAsync("/d", Token))).Error);
        Assert.AreEqual(2L, (await fx.Engine.GetAttributesAsync("/e/x", Token)).Size, "the negative lookup below the new name was forgotten");
        Assert.AreEqual("x", (await fx.Engine.ListDirectoryAsync("/e", Token)).Single().Name);
        CollectionAssert.AreEquivalent(new[] { "other", "e" }, (await fx.Engine.ListDirectoryAsync("/", Token)).Select(n => n.Name).ToList());
    }

    [TestMethod]
    public async Task Writers_of_moved_files_go_on_while_the_old_objects_are_deleted()
    {
        var store = new DeleteHeldStore(new MemoryObjectStore());
        await using var fx = new EngineFixture(store);
        await fx.Engine.CreateDirectoryAsync("/d", Token);
        await fx.WriteFileAsync("/d/f", [1, 2, 3], Token);
        await fx.Engine.WaitForUploadsAsync(null, Token);
        var handle = await fx.Engine.OpenAsync("/d/f", OpenFlags.ReadWrite, Token);

        store.Hold();
        var rename = Task.Run(() => fx.Engine.RenameAsync("/d", "/e", noReplace: false, Token), Token);
        await store.Held.Task.WaitAsync(Bound, Token);

        // Before the fix the file's lock was held through the delete, and this write waited for it.
        var write = Task.Run(() => handle.WriteAsync(3, new byte[] { 4 }, Token), Token);
        var finished = await Task.WhenAny(write, Task.Delay(Bound, Token));
        store.Release();
        Assert.AreSame(write, finished, "the write did not wait for the delete of the old objects");
        await rename.WaitAsync(Bound, Token);
        await handle.ReleaseAsync(Token);
        await fx.Engine.WaitForUploadsAsync(null, Token);

        CollectionAssert.AreEqual(new byte[] { 1, 2, 3, 4 }, await fx.ReadFileAsync("/e/f", Token));
        Assert.IsNull(await store.HeadAsync("d/f", Token));
    }

    [TestMethod]
    public async Task Open_and_dirty_files_move_with_their_directory_while_others_write_and_rename()
    {
        var store = new MemoryObjectStore();
        await using var fx = new EngineFixture(store, o => o with { WriteBackDelay = TimeSpan.FromMinutes(5) });
        await fx.Engine.CreateDirectoryAsync("/d", Token);
        var expected = new Dictionary<string, byte[]>();
        var handles = new List<(string Name, FileHandle Handle)>();
        for (var i = 0; i < 6; i++)
        {
            var name = $"f{i}";
            var handle = await fx.Engine.OpenAsync("/d/" + name, OpenFlags.ReadWrite | OpenFlags.Create, Token);
            await handle.WriteAsync(0, Enumerable.Repeat((byte)i, 1000).ToArray(), Token);
            if (i % 2 == 0)
            {
                // Closed, dirty, waiting for its upload.
                await handle.ReleaseAsync(Token);
            }
            else
            {
                handles.Add((name, handle));
            }

            expected[name] = Enumerable.Repeat((byte)i, 1000).ToArray();
        }

        // Writers keep appending to the open files while the directory moves back and forth: nobody waits in a circle.
        using var stop = new CancellationTokenSource();
        var writers = handles.Select(h => Task.Run(async () =>
        {
            var offset = 1000L;
            while (!stop.IsCancellationRequested && offset < 1000 + 200)
            {
                await h.Handle.WriteAsync(offset, new byte[] { 0xEE }, Token);
                offset++;
            }

            return (h.Name, offset);
        }, Token)).ToList();
        var renames = Task.Run(async () =>
        {
            for (var round = 0; round < 4; round++)
            {
                await fx.Engine.RenameAsync(round % 2 == 0 ? "/d" : "/e", round % 2 == 0 ? "/e" : "/d", noReplace: false, Token);
            }
        }, Token);
        await renames.WaitAsync(TimeSpan.FromSeconds(60), Token);
        await stop.CancelAsync();
        foreach (var (name, end) in await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(60), Token))
        {
            expected[name] = [.. expected[name], .. Enumerable.Repeat((byte)0xEE, (int)(end - 1000))];
        }

        foreach (var (_, handle) in handles)
        {
            await handle.ReleaseAsync(Token);
        }

        await fx.Engine.WaitForUploadsAsync(null, Token);
        await fx.RemountAsync();
        foreach (var (name, data) in expected)
        {
            CollectionAssert.AreEqual(data, await fx.ReadFileAsync("/d/" + name, Token), name);
        }

        Assert.AreEqual("d", (await fx.Engine.ListDirectoryAsync("/", Token)).Single().Name);
        var left = new List<string>();
        await foreach (var entry in store.ListAsync("e/", null, Token))
        {
            left.Add(entry.Key);
        }

        Assert.IsEmpty(left, "nothing left under the name the directory had in between");
    }

    /// <summary>Once armed, holds the next DeleteMany until released.</summary>
    private sealed class DeleteHeldStore(IObjectStore inner) : ObjectStoreDecorator(inner)
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _armed;

        public TaskCompletionSource Held { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Hold() => Volatile.Write(ref _armed, 1);

        public void Release() => _release.TrySetResult();

        public override async Task<IReadOnlyList<DeleteFailure>> DeleteManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
        {
            if (Interlocked.Exchange(ref _armed, 0) == 1)
            {
                Held.TrySetResult();
                await _release.Task.WaitAsync(cancellationToken);
            }

            return await base.DeleteManyAsync(keys, cancellationToken);
        }
    }
}
