using System.Text;
using BucketMount.Backends.Local;

namespace BucketMount.Backends.Tests.Local;

/// <summary>
/// An attacker with a local account plants symbolic links in the store's folder (its own <c>.bucketmount</c> area
/// included), or swaps a folder for a link while an upload runs: nothing may be written, deleted or read outside.
/// The swap is driven by the upload's own content stream (read by the store mid-upload), never by timing.
/// </summary>
[TestClass]
public sealed class LocalFolderEscapeTests
{
    private string _parent = null!;
    private string _root = null!;
    private string _outside = null!;

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    private string System => Path.Combine(_root, ".bucketmount");

    [TestInitialize]
    public void CreateFolders()
    {
        _parent = Directory.CreateTempSubdirectory("bucketmount-escape-").FullName;
        _root = Path.Combine(_parent, "store");
        _outside = Path.Combine(_parent, "outside");
        Directory.CreateDirectory(_root);
        Directory.CreateDirectory(_outside);
        File.WriteAllText(Path.Combine(_outside, "precious"), "outside file");
    }

    [TestCleanup]
    public void DeleteFolders() => Directory.Delete(_parent, recursive: true);

    [TestMethod]
    public async Task A_link_in_the_metadata_area_is_refused_and_nothing_outside_is_written_or_deleted()
    {
        var store = new LocalFolderStore(_root);
        await PutAsync(store, "dir/first", "kept");
        Directory.Delete(Path.Combine(System, "meta", "dir"), recursive: true);
        Directory.CreateSymbolicLink(Path.Combine(System, "meta", "dir"), _outside);

        var put = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => PutAsync(store, "dir/precious", "overwrites?"));
        var delete = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => store.DeleteAsync("dir/first", Token));

        StringAssert.Contains(put.Message, "symbolic link");
        StringAssert.Contains(delete.Message, "symbolic link");
        AssertOutsideUntouched();
    }

    [TestMethod]
    public async Task A_delete_never_removes_a_file_through_a_linked_metadata_folder()
    {
        var store = new LocalFolderStore(_root);
        await PutAsync(store, "dir/precious", "inside");
        Directory.Delete(Path.Combine(System, "meta", "dir"), recursive: true);
        Directory.CreateSymbolicLink(Path.Combine(System, "meta", "dir"), _outside);

        await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => store.DeleteAsync("dir/precious", Token));

        AssertOutsideUntouched();
    }

    [TestMethod]
    public async Task A_linked_system_folder_is_refused_and_no_metadata_or_temp_file_goes_outside()
    {
        Directory.CreateSymbolicLink(System, _outside);

        var error = Assert.ThrowsExactly<ObjectStoreException>(() => new LocalFolderStore(_root));

        StringAssert.Contains(error.Message, "symbolic link");
        AssertOutsideUntouched();
        await Task.CompletedTask;
    }

    [TestMethod]
    public void Opening_a_store_never_cleans_up_temp_files_through_a_linked_temp_folder()
    {
        Directory.CreateDirectory(System);
        var old = Path.Combine(_outside, "old.tmp");
        File.WriteAllText(old, "someone else's temp file");
        File.SetLastWriteTimeUtc(old, DateTime.UtcNow.AddDays(-2));
        Directory.CreateSymbolicLink(Path.Combine(System, "tmp"), _outside);

        Assert.ThrowsExactly<ObjectStoreException>(() => new LocalFolderStore(_root));

        Assert.IsTrue(File.Exists(old), "the stale-temp clean-up did not delete through the link");
    }

    [TestMethod]
    public async Task A_folder_swapped_for_a_link_while_a_put_runs_receives_nothing_outside()
    {
        var store = new LocalFolderStore(_root);
        await PutAsync(store, "dir/existing", "inside");
        var content = new SwapWhenReadStream(new byte[300_000], () => SwapForLink(Path.Combine(_root, "dir")));

        var error = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => store.PutAsync("dir/big", content, null, Token));

        Assert.IsTrue(content.Swapped, "the swap ran while the store read the upload");
        StringAssert.Contains(error.Message, "symbolic link");
        AssertOutsideUntouched();
    }

    [TestMethod]
    public async Task A_folder_swapped_for_a_link_while_a_parallel_upload_runs_receives_nothing_outside()
    {
        var store = new LocalFolderStore(_root);
        await PutAsync(store, "dir/existing", "inside");
        var source = new SwapWhenReadSource(new byte[1_000_000], () => SwapForLink(Path.Combine(_root, "dir")));

        var error = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() =>
            store.UploadAsync("dir/big", source, new UploadOptions { PartSize = 256 * 1024, Concurrency = 2 }, Token));

        Assert.IsTrue(source.Swapped);
        StringAssert.Contains(error.Message, "symbolic link");
        AssertOutsideUntouched();
    }

    [TestMethod]
    public async Task The_metadata_folder_swapped_for_a_link_mid_put_receives_nothing_outside()
    {
        var store = new LocalFolderStore(_root);
        await PutAsync(store, "dir/existing", "inside");
        var content = new SwapWhenReadStream(new byte[1000], () => SwapForLink(Path.Combine(System, "meta", "dir")));

        await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => store.PutAsync("dir/precious", content, null, Token));

        Assert.IsTrue(content.Swapped);
        AssertOutsideUntouched();
    }

    [TestMethod]
    public async Task The_temp_folder_swapped_for_a_link_mid_put_receives_nothing_outside()
    {
        var store = new LocalFolderStore(_root);
        var content = new SwapWhenReadStream(new byte[1000], () => SwapForLink(Path.Combine(System, "tmp")));

        try
        {
            await store.PutAsync("file", content, null, Token);
        }
        catch (ObjectStoreException)
        {
            // Refusing is fine; writing outside is not.
        }

        Assert.IsTrue(content.Swapped);
        AssertOutsideUntouched();
    }

    [TestMethod]
    public async Task A_prefix_through_a_link_lists_nothing_from_outside()
    {
        Directory.CreateSymbolicLink(Path.Combine(_root, "link"), _outside);
        var store = new LocalFolderStore(_root);

        var keys = new List<string>();
        await foreach (var entry in store.ListAsync("link/", "/", Token))
        {
            keys.Add(entry.Key);
        }

        Assert.IsEmpty(keys);
    }

    [TestMethod]
    public async Task The_stores_own_area_is_private_to_its_user()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Inconclusive("Unix modes");
            return;
        }

        Directory.CreateDirectory(System, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var store = new LocalFolderStore(_root);
        await PutAsync(store, "dir/file", "x");

        foreach (var folder in new[] { System, Path.Combine(System, "meta"), Path.Combine(System, "tmp"), Path.Combine(System, "meta", "dir") })
        {
            Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder), folder);
        }

        Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(System, "meta", "dir", "file")));
    }

    private void SwapForLink(string folder)
    {
        Directory.Move(folder, folder + ".moved");
        Directory.CreateSymbolicLink(folder, _outside);
    }

    private void AssertOutsideUntouched()
    {
        var names = Directory.EnumerateFileSystemEntries(_outside).Select(Path.GetFileName).Order().ToArray();
        CollectionAssert.AreEqual(new[] { "precious" }.Concat(names.Where(n => n == "old.tmp")).Order().ToArray(), names, "files outside: " + string.Join(", ", names));
        Assert.AreEqual("outside file", File.ReadAllText(Path.Combine(_outside, "precious")));
    }

    private async Task PutAsync(LocalFolderStore store, string key, string text) =>
        await store.PutAsync(key, new MemoryStream(Encoding.UTF8.GetBytes(text)), null, Token);

    /// <summary>Content that runs the swap once, after the store has started reading it (so after any up-front check).</summary>
    private sealed class SwapWhenReadStream(byte[] data, Action swap) : MemoryStream(data)
    {
        public bool Swapped { get; private set; }

        public override int Read(Span<byte> buffer)
        {
            SwapOnce();
            return base.Read(buffer);
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            SwapOnce();
            return base.Read(buffer, offset, count);
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            SwapOnce();
            return base.ReadAsync(buffer, cancellationToken);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            SwapOnce();
            return base.ReadAsync(buffer, offset, count, cancellationToken);
        }

        private void SwapOnce()
        {
            if (!Swapped)
            {
                Swapped = true;
                swap();
            }
        }
    }

    private sealed class SwapWhenReadSource(byte[] data, Action swap) : IUploadSource
    {
        private int _swapped;

        public bool Swapped => _swapped == 1;

        public long Length => data.Length;

        public ValueTask<int> ReadAtAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken) => ValueTask.FromResult(ReadAt(offset, buffer.Span));

        public int ReadAt(long offset, Span<byte> buffer)
        {
            if (Interlocked.Exchange(ref _swapped, 1) == 0)
            {
                swap();
            }

            var count = (int)Math.Min(buffer.Length, data.Length - offset);
            data.AsSpan((int)offset, count).CopyTo(buffer);
            return count;
        }
    }
}
