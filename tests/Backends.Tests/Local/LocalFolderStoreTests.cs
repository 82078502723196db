using System.Text;
using BucketMount.Backends.Local;

namespace BucketMount.Backends.Tests.Local;

/// <summary>What only the local store must prove: keys never escape its folder, writes are plain durable files.</summary>
[TestClass]
public sealed class LocalFolderStoreTests
{
    private string _parent = null!;
    private string _root = null!;

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestInitialize]
    public void CreateFolders()
    {
        _parent = Directory.CreateTempSubdirectory("bucketmount-local-").FullName;
        _root = Path.Combine(_parent, "store");
        Directory.CreateDirectory(_root);
    }

    [TestCleanup]
    public void DeleteFolders() => Directory.Delete(_parent, recursive: true);

    private async Task PutAsync(LocalFolderStore store, string key, string text) =>
        await store.PutAsync(key, new MemoryStream(Encoding.UTF8.GetBytes(text)), null, Token);

    private string[] FilesOutsideRoot() =>
        Directory.EnumerateFileSystemEntries(_parent, "*", SearchOption.AllDirectories)
            .Where(p => !p.StartsWith(_root, StringComparison.Ordinal))
            .ToArray();

    [TestMethod]
    [DataRow("../escaped.txt")]
    [DataRow("../../escaped.txt")]
    [DataRow("a/../../escaped.txt")]
    [DataRow("/absolute/escaped.txt")]
    [DataRow("..")]
    [DataRow("./.././escaped")]
    public async Task Keys_with_dot_segments_or_a_leading_slash_stay_inside_the_root(string key)
    {
        var store = new LocalFolderStore(_root);

        await PutAsync(store, key, "inside");

        Assert.IsEmpty(FilesOutsideRoot(), "nothing was written outside the store's folder");
        Assert.AreEqual("inside", Encoding.UTF8.GetString(await ReadAsync(store, key)));
        CollectionAssert.AreEqual(new[] { key }, (await ListAsync(store)).ToArray());
    }

    [TestMethod]
    public async Task A_symbolic_link_inside_the_root_is_never_followed()
    {
        var outside = Path.Combine(_parent, "outside");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "secret.txt"), "not for the store");
        Directory.CreateSymbolicLink(Path.Combine(_root, "link"), outside);
        var store = new LocalFolderStore(_root);

        var read = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => store.ReadAsync("link/secret.txt", 0, new byte[100], null, Token));
        var write = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => PutAsync(store, "link/new.txt", "x"));

        Assert.AreEqual(ObjectStoreErrorKind.InvalidArgument, read.Kind);
        StringAssert.Contains(read.Message, "symbolic link");
        Assert.AreEqual(ObjectStoreErrorKind.InvalidArgument, write.Kind);
        Assert.IsFalse(File.Exists(Path.Combine(outside, "new.txt")));
        Assert.IsEmpty(await ListAsync(store), "links are not listed");
    }

    [TestMethod]
    public async Task A_key_segment_longer_than_a_file_name_is_refused_clearly()
    {
        var store = new LocalFolderStore(_root);

        var error = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => PutAsync(store, "dir/" + new string('n', 256), "x"));

        Assert.AreEqual(ObjectStoreErrorKind.KeyTooLong, error.Kind);
        StringAssert.Contains(error.Message, "255 bytes");
    }

    [TestMethod]
    public async Task An_object_and_a_folder_of_the_same_name_clash_with_a_clear_error_and_no_loss()
    {
        var store = new LocalFolderStore(_root);
        await PutAsync(store, "a", "file a");
        await PutAsync(store, "b/c", "file b/c");

        var below = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => PutAsync(store, "a/x", "x"));
        var over = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => PutAsync(store, "b", "x"));

        Assert.AreEqual(ObjectStoreErrorKind.InvalidArgument, below.Kind);
        Assert.AreEqual(ObjectStoreErrorKind.InvalidArgument, over.Kind);
        Assert.AreEqual("file a", Encoding.UTF8.GetString(await ReadAsync(store, "a")));
        Assert.AreEqual("file b/c", Encoding.UTF8.GetString(await ReadAsync(store, "b/c")));
    }

    [TestMethod]
    public async Task Objects_are_plain_files_a_person_can_open_and_deletes_prune_empty_folders()
    {
        var store = new LocalFolderStore(_root);

        await PutAsync(store, "docs/notes/today.txt", "hello");

        Assert.AreEqual("hello", File.ReadAllText(Path.Combine(_root, "docs", "notes", "today.txt")));
        await store.DeleteAsync("docs/notes/today.txt", Token);
        Assert.IsFalse(Directory.Exists(Path.Combine(_root, "docs")), "empty folders are removed with their last object");
    }

    [TestMethod]
    public async Task A_file_changed_behind_the_stores_back_gets_a_new_etag()
    {
        var store = new LocalFolderStore(_root);
        await PutAsync(store, "edited.txt", "original");
        var before = (await store.HeadAsync("edited.txt", Token))!.ETag;

        File.WriteAllText(Path.Combine(_root, "edited.txt"), "edited by hand, longer");
        var after = await store.HeadAsync("edited.txt", Token);

        Assert.AreNotEqual(before, after!.ETag);
        Assert.AreEqual(22, after.Size);
    }

    [TestMethod]
    public async Task A_new_store_on_the_same_folder_sees_everything_with_its_metadata()
    {
        var first = new LocalFolderStore(_root);
        await first.PutAsync("kept", new MemoryStream([1, 2, 3]), new PutOptions { Metadata = new Dictionary<string, string> { ["mtime"] = "42" } }, Token);
        var etag = (await first.HeadAsync("kept", Token))!.ETag;

        var second = new LocalFolderStore(_root);
        var head = await second.HeadAsync("kept", Token);

        Assert.AreEqual(etag, head!.ETag);
        Assert.AreEqual("42", head.Metadata!["mtime"]);
    }

    [TestMethod]
    public async Task A_missing_root_folder_is_created()
    {
        var store = new LocalFolderStore(Path.Combine(_root, "not", "yet"));

        await PutAsync(store, "a", "x");

        Assert.AreEqual("x", File.ReadAllText(Path.Combine(_root, "not", "yet", "a")));
    }

    [TestMethod]
    public void A_relative_root_is_refused()
    {
        var error = Assert.ThrowsExactly<ObjectStoreException>(() => new LocalFolderStore("relative/folder"));

        StringAssert.Contains(error.Message, "absolute");
    }

    private async Task<byte[]> ReadAsync(LocalFolderStore store, string key)
    {
        using var buffer = new MemoryStream();
        await store.ReadToAsync(key, 0, null, buffer, null, Token);
        return buffer.ToArray();
    }

    private async Task<List<string>> ListAsync(LocalFolderStore store)
    {
        var keys = new List<string>();
        await foreach (var entry in store.ListAsync("", null, Token))
        {
            keys.Add(entry.Key);
        }

        return keys;
    }
}
