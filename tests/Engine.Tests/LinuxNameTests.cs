using System.Text;
using BucketMount.Backends;
using BucketMount.Backends.Decorators;
using BucketMount.Backends.Memory;
using BucketMount.Engine.Namespace;

namespace BucketMount.Engine.Tests;

/// <summary>Every name Linux allows has exactly one key, and every key exactly one name (docs/SEMANTICS.md, Names).</summary>
[TestClass]
public sealed class LinuxNameTests
{
    private const char Q = LinuxNames.Quote;

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    /// <summary>A name given as bytes, as the FUSE host receives it.</summary>
    private static string Name(params byte[] bytes) => RawNames.FromBytes(bytes);

    private static string Text(string s) => s.Replace('Q', Q);

    public static IEnumerable<object[]> Table =>
    [
        [Name("plain.txt"u8.ToArray()), "plain.txt"],
        [Name((byte)'x', 0xFF), "xQFF"],
        [Name((byte)'x', 0xFE), "xQFE"],
        [Name(0xC3, 0x28), "QC3("],
        [Name(0xE2, 0x82), "QE2Q82"],
        [Text("QFF"), "QQFF"],
        [Text("Q"), "Q"],
        [Text("aQb"), "aQb"],
        [Text("QQ"), "QQ"],
        [Text("Q7F"), "Q7F"],
        [Text("Qff"), "Qff"],
        [Text("Q") + Name(0xFF), "QQQFF"],
        [Text("QQFF"), "QQQQFF"],
        [Name(0xC3) + Text("QA9"), "QC3QA9"],
        [Name(0xC3) + Text("QQA9"), "QC3QQQA9"],
        [Name(0xC3) + Text("Q") + Name(0xA9), "QC3QQA9"],
        ["é", "é"],
        ["a\\b", "a\\b"],
        ["ctl\u0001", "ctl\u0001"],
    ];

    [TestMethod]
    [DynamicData(nameof(Table))]
    public void Names_map_to_keys_and_back_exactly(string name, string key)
    {
        key = Text(key);

        Assert.AreEqual(key, LinuxNames.ToSegment(name), "name to key");
        Assert.AreEqual(name, LinuxNames.ToName(key), "key to name");
    }

    [TestMethod]
    public void Escaped_bytes_that_would_make_a_character_do_not_take_the_name_of_that_character()
    {
        // "é" is C3 A9; the key "‛C3‛A9" (written by another tool) must not show as "é" too.
        var shown = LinuxNames.ToName(Text("QC3QA9"))!;

        Assert.AreNotEqual("é", shown);
        CollectionAssert.AreEqual(new byte[] { 0xC3, 0xE2, 0x80, 0x9B, (byte)'A', (byte)'9' }, RawNames.ToBytes(shown));
        Assert.AreEqual(Text("QC3QA9"), LinuxNames.ToSegment(shown));
    }

    /// <summary>Every byte string up to five bytes over an alphabet that makes quotes, escapes and UTF-8 collide.</summary>
    [TestMethod]
    public void Every_short_byte_name_has_its_own_key_and_comes_back()
    {
        // The quote is E2 80 9B; C3 A9 is "é"; E2 82 82 is "₂"; F0 9F 98 80 is an emoji; FF is never UTF-8.
        byte[] alphabet = [(byte)'A', (byte)'F', (byte)'8', 0xC3, 0xA9, 0xE2, 0x80, 0x9B, 0x82, 0xFF, 0xF0, 0x9F];
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var bytes in Strings(alphabet, 5))
        {
            var name = RawNames.FromBytes(bytes);
            CollectionAssert.AreEqual(bytes, RawNames.ToBytes(name), "bytes survive the string form");
            var key = LinuxNames.ToSegment(name);
            Assert.IsTrue(Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(key)) == key, $"the key for {Convert.ToHexString(bytes)} is valid UTF-8");
            Assert.AreEqual(name, LinuxNames.ToName(key), $"{Convert.ToHexString(bytes)} comes back");
            Assert.IsTrue(keys.TryAdd(key, Convert.ToHexString(bytes)), $"{Convert.ToHexString(bytes)} and {keys.GetValueOrDefault(key)} share the key {key}");
        }
    }

    /// <summary>Every key up to six characters over an alphabet of quotes and hex digits shows as a name that maps back to it.</summary>
    [TestMethod]
    public void Every_short_key_has_its_own_name_that_leads_back_to_it()
    {
        foreach (var alphabet in new[] { new[] { Q, 'C', '3', 'A', '9', 'x' }, new[] { Q, 'E', '2', '8', 'F', 'é' } })
        {
            var names = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var chars in Strings(alphabet, 6))
            {
                var key = new string(chars);
                var name = LinuxNames.ToName(key)!;
                Assert.AreEqual(key, LinuxNames.ToSegment(name), $"the key {key} comes back from its name");
                Assert.AreEqual(name, RawNames.FromBytes(RawNames.ToBytes(name)), $"the name of {key} is what the kernel would give back");
                Assert.IsTrue(names.TryAdd(name, key), $"{key} and {names.GetValueOrDefault(name)} show as the same name");
            }
        }
    }

    [TestMethod]
    public async Task Names_that_are_not_utf8_stay_distinct_objects_and_list_with_their_bytes()
    {
        var store = new MemoryObjectStore();
        await using var fx = new EngineFixture(store);
        var ff = "/" + Name((byte)'x', 0xFF);
        var fe = "/" + Name((byte)'x', 0xFE);

        await fx.WriteFileAsync(ff, [1], Token);
        await fx.WriteFileAsync(fe, [2, 2], Token);
        await fx.Engine.WaitForUploadsAsync(null, Token);
        await fx.RemountAsync();

        Assert.AreEqual(1, (await store.HeadAsync(Text("xQFF"), Token))?.Size);
        Assert.AreEqual(2, (await store.HeadAsync(Text("xQFE"), Token))?.Size);
        var listed = (await fx.Engine.ListDirectoryAsync("/", Token)).Select(n => Convert.ToHexString(RawNames.ToBytes(n.Name))).Order().ToList();
        CollectionAssert.AreEqual(new[] { "78FE", "78FF" }, listed);
        CollectionAssert.AreEqual(new byte[] { 1 }, await fx.ReadFileAsync(ff, Token));
    }

    [TestMethod]
    public async Task A_key_that_looks_like_an_escape_opens_by_the_name_it_shows()
    {
        var store = new MemoryObjectStore();
        var literal = Text("QFF.txt");
        await store.PutAsync(literal, new MemoryStream([7]), null, Token);
        await using var fx = new EngineFixture(store);

        var name = (await fx.Engine.ListDirectoryAsync("/", Token)).Single().Name;

        Assert.AreEqual(Text("QFF.txt"), LinuxNames.ToSegment(name));
        Assert.AreNotEqual(literal, name, "a quote before hex digits shows halved");
        CollectionAssert.AreEqual(new byte[] { 7 }, await fx.ReadFileAsync("/" + name, Token));
    }

    [TestMethod]
    public async Task A_backslash_is_part_of_a_name_not_a_separator()
    {
        var store = new MemoryObjectStore();
        await store.PutAsync("sub/victim", new MemoryStream("old"u8.ToArray()), null, Token);
        await store.PutAsync("sub/keep", new MemoryStream("keep"u8.ToArray()), null, Token);
        await store.PutAsync("sub\\keep", new MemoryStream("other tool"u8.ToArray()), null, Token);
        await using var fx = new EngineFixture(store);

        await fx.WriteFileAsync("/sub\\victim", "new"u8.ToArray(), Token);
        await fx.Engine.DeleteFileAsync("/sub\\keep", Token);
        await fx.Engine.WaitForUploadsAsync(null, Token);

        CollectionAssert.AreEqual("old"u8.ToArray(), await fx.ReadFileAsync("/sub/victim", Token));
        CollectionAssert.AreEqual("keep"u8.ToArray(), await fx.ReadFileAsync("/sub/keep", Token));
        Assert.IsNotNull(await store.HeadAsync("sub\\victim", Token));
        Assert.IsNull(await store.HeadAsync("sub\\keep", Token));
    }

    [TestMethod]
    public async Task A_store_that_turns_backslashes_into_slashes_refuses_them_before_any_request()
    {
        var store = new MemoryObjectStore();
        await store.PutAsync("sub/keep", new MemoryStream("keep"u8.ToArray()), null, Token);
        await using var fx = new EngineFixture(new NoBackslashStore(store));

        var create = await Assert.ThrowsExactlyAsync<FileSystemException>(() => fx.WriteFileAsync("/sub\\new", [1], Token));
        var delete = await Assert.ThrowsExactlyAsync<FileSystemException>(() => fx.Engine.DeleteFileAsync("/sub\\keep", Token));

        Assert.AreEqual(FsError.InvalidName, create.Error);
        Assert.AreEqual(FsError.InvalidName, delete.Error);
        StringAssert.Contains(create.Message, "backslash");
        Assert.IsNotNull(await store.HeadAsync("sub/keep", Token), "the object behind the slash is untouched");
    }

    [TestMethod]
    public async Task Names_and_keys_beyond_the_limits_get_name_too_long_on_every_operation()
    {
        var store = new MemoryObjectStore();
        await store.PutAsync("file", new MemoryStream([1]), null, Token);
        await using var fx = new EngineFixture(new PrefixedObjectStore(store, new string('p', 99)));
        var longName = "/" + new string('n', 256);
        var deep = string.Concat(Enumerable.Repeat("/" + new string('d', 200), 5)); // 1005 bytes: over 1024 with the 100-byte prefix

        async Task<FsError> ErrorOf(Func<Task> operation) => (await Assert.ThrowsExactlyAsync<FileSystemException>(operation)).Error;

        Assert.AreEqual(FsError.NameTooLong, await ErrorOf(() => fx.Engine.GetAttributesAsync(longName, Token)), "lookup");
        Assert.AreEqual(FsError.NameTooLong, await ErrorOf(() => fx.Engine.CreateDirectoryAsync(longName, Token)), "mkdir");
        Assert.AreEqual(FsError.NameTooLong, await ErrorOf(() => fx.Engine.GetAttributesAsync(deep, Token)), "lookup of a long key");
        Assert.AreEqual(FsError.NameTooLong, await ErrorOf(() => fx.WriteFileAsync(deep, [1], Token)), "create");
        Assert.AreEqual(FsError.NameTooLong, await ErrorOf(() => fx.Engine.CreateDirectoryAsync(deep, Token)), "mkdir of a long key");
        Assert.AreEqual(FsError.NameTooLong, await ErrorOf(() => fx.Engine.CreateSymlinkAsync(deep, "file", Token)), "symlink");
        Assert.AreEqual(FsError.NameTooLong, await ErrorOf(() => fx.Engine.RenameAsync("/file", longName, false, Token)), "rename");
        Assert.AreEqual(FsError.NameTooLong, await ErrorOf(() => fx.Engine.RenameAsync("/file", deep, false, Token)), "rename to a long key");
    }

    [TestMethod]
    public void The_upload_journal_keeps_names_that_are_not_utf8_byte_for_byte()
    {
        var folder = Directory.CreateTempSubdirectory("bucketmount-names-journal-").FullName;
        try
        {
            string[] paths = ["/d/" + Name((byte)'x', 0xFF), "/d/" + Name((byte)'x', 0xFE), "/plain", "/" + Text("QFF")];
            using (var journal = new Writing.UploadJournal(Path.Combine(folder, "journal")))
            {
                for (var i = 0; i < paths.Length; i++)
                {
                    journal.Write(new Writing.JournalRecord { Id = i + 1, Path = paths[i], Size = 1, ModifiedTime = DateTimeOffset.UnixEpoch, StagingFile = Path.Combine(folder, $"{i}.data") }, [1]);
                }
            }

            using var reopened = new Writing.UploadJournal(Path.Combine(folder, "journal"));
            CollectionAssert.AreEqual(paths, reopened.Load().Files.OrderBy(f => f.Id).Select(f => f.Path).ToArray(), "after a crash each file goes back under its own name");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void A_name_of_255_bytes_that_are_not_utf8_is_not_too_long()
    {
        var keys = new KeyMapper(new NameEncoding(NamePlatform.Linux));
        var name = Name([.. Enumerable.Repeat((byte)0xFF, 255)]);

        keys.ValidateName("/" + name);
        Assert.AreEqual(name, keys.ToName(keys.ToKey("/" + name)), "a 1020-byte key still shows as its 255-byte name");
    }

    private static IEnumerable<T[]> Strings<T>(T[] alphabet, int maxLength)
    {
        for (var length = 1; length <= maxLength; length++)
        {
            var indexes = new int[length];
            while (true)
            {
                yield return indexes.Select(i => alphabet[i]).ToArray();
                var position = length - 1;
                while (position >= 0 && ++indexes[position] == alphabet.Length)
                {
                    indexes[position--] = 0;
                }

                if (position < 0)
                {
                    break;
                }
            }
        }
    }

    private sealed class NoBackslashStore(IObjectStore inner) : ObjectStoreDecorator(inner)
    {
        public override StoreCapabilities Capabilities { get; } = inner.Capabilities with { BackslashInKeys = false };
    }
}
