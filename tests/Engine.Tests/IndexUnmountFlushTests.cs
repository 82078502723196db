using BucketMount.Backends;
using BucketMount.Backends.Decorators;
using BucketMount.Backends.Memory;
using BucketMount.Engine.Namespace.Index;

namespace BucketMount.Engine.Tests;

/// <summary>
/// Unmount writes every directory index that is owed, also one the background writer was in the middle of writing
/// when the unmount began (its directory no longer counted as changed, and stopping the writer cut that write off):
/// a fresh-cache remount then lists and stats every file for the index's GET, with no request per file.
/// </summary>
[TestClass]
public sealed class IndexUnmountFlushTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task An_index_being_written_when_unmount_begins_is_written_with_every_file()
    {
        var memory = new MemoryObjectStore();
        var store = new HeldIndexPuts(memory);
        // IndexSettle 0: the background writer writes a directory's index within a second of its last change.
        var fx = new EngineFixture(store, o => o with { IndexSettle = TimeSpan.Zero });
        await using (fx)
        {
            await fx.Engine.CreateDirectoryAsync("/d", Token);
            for (var i = 0; i < 10; i++)
            {
                await fx.WriteFileAsync($"/d/f{i}", [(byte)i], Token);
            }

            await fx.Engine.WaitForUploadsAsync(null, Token);
            store.Hold = true;
            await fx.WriteFileAsync("/d/late", [42], Token);

            // The background writer's PUT of d/'s index, with "late", is under way (held) when the unmount begins.
            await store.Entered.Task.WaitAsync(Bound, Token);
            var unmount = fx.Engine.ShutdownAsync(null, Token);
            await Task.WhenAny(unmount, Task.Delay(TimeSpan.FromSeconds(2), Token));
            store.Release();
            await unmount.WaitAsync(Bound, Token);

            var index = DirectoryIndexFormat.KeyOf("d/");
            Assert.IsNotNull(await memory.HeadAsync(index, Token), "d/'s index is stored");
            await fx.RemountAsync(keepCache: false);
            var before = memory.Counters.Snapshot();
            store.Heads.Clear();
            var listed = await fx.Engine.ListDirectoryAsync("/d", Token);
            foreach (var node in listed)
            {
                await fx.Engine.GetAttributesAsync("/d/" + node.Name, Token);
            }

            var requests = memory.Counters.Snapshot().Since(before).Requests;
            Assert.IsLessThanOrEqualTo(1, requests[RequestKind.Head], "at most the lookup's own");
            Assert.HasCount(11, listed);
            // (The lookup of /d itself may ask whether "d" is also a file: not a request per file.)
            var fileHeads = store.Heads.Where(k => k.StartsWith("d/", StringComparison.Ordinal)).ToList();
            Assert.IsEmpty(fileHeads, "no HEAD per file: the index describes every one, \"late\" included; asked for " + string.Join(", ", fileHeads));
            Assert.AreEqual(1, requests[RequestKind.Get], "one GET: the index");
        }
    }

    /// <summary>Holds PUTs of directory indexes while <see cref="Hold"/>, until released or cancelled.</summary>
    private sealed class HeldIndexPuts(IObjectStore inner) : ObjectStoreDecorator(inner)
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public volatile bool Hold;

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _released.TrySetResult();

        public System.Collections.Concurrent.ConcurrentBag<string> Heads { get; } = [];

        public override Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken)
        {
            Heads.Add(key);
            return base.HeadAsync(key, cancellationToken);
        }

        public override async Task<ObjectInfo> PutAsync(string key, Stream content, PutOptions? options, CancellationToken cancellationToken)
        {
            if (Hold && key.EndsWith(DirectoryIndexFormat.ReservedName, StringComparison.Ordinal))
            {
                Entered.TrySetResult();
                await _released.Task.WaitAsync(cancellationToken);
            }

            return await base.PutAsync(key, content, options, cancellationToken);
        }
    }
}
