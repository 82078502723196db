using BucketMount.Backends.Remotes;
using BucketMount.TestSupport;

namespace BucketMount.Mount.Tests;

/// <summary>
/// Files unlinked while open, through a real FUSE mount of the CLI, as programs use them (tmpfile(), Python's
/// TemporaryFile, SQLite's -shm, editors' swap files, a file replaced by a rename while a reader has it open):
/// the handle keeps working on the local copy, the name is gone at once, and nothing of it reaches the store.
/// Subclasses choose the store.
/// </summary>
public abstract class UnlinkedOpenFileMountTests
{
    // Each check raises with what it saw; the last line says all of them ran.
    private const string Program = """
        import errno, os, random, sys, tempfile

        mnt = sys.argv[1]
        victim = os.path.join(mnt, "victim")

        def put(path, data):
            # fsync: in the store when it returns, so a reopen reads the object, not a local copy
            with open(path, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())

        def check(what, seen, wanted):
            if seen != wanted:
                raise SystemExit(f"{what}: saw {seen!r:.200}, wanted {wanted!r:.200}")

        def gone(path):
            try:
                os.stat(path)
            except FileNotFoundError:
                return True
            return False

        original = random.Random(7).randbytes(300 * 1024)
        put(victim, original)
        fd = os.open(victim, os.O_RDWR)
        os.unlink(victim)

        check("listing right after the unlink", sorted(os.listdir(mnt)), [])
        check("stat of the name after the unlink", gone(victim), True)
        check("fstat size", os.fstat(fd).st_size, len(original))
        check("bytes read after the unlink", os.pread(fd, len(original) + 10, 0), original)
        os.pwrite(fd, b"WRITTEN", 10)
        os.fsync(fd)
        os.ftruncate(fd, 1000)
        expected = original[:10] + b"WRITTEN" + original[17:1000]
        check("fstat size after ftruncate", os.fstat(fd).st_size, 1000)
        check("bytes after write and ftruncate", os.pread(fd, 2000, 0), expected)
        check("st_nlink of the unlinked file", os.fstat(fd).st_nlink, 0)
        os.fchmod(fd, 0o600)
        os.utime(fd, (1234567890, 1234567890))
        check("fchmod and futimens of the unlinked file", (os.fstat(fd).st_mode & 0o777, int(os.fstat(fd).st_mtime)), (0o600, 1234567890))
        with open(f"/proc/self/fd/{fd}", "rb") as again:
            check("a reopen through /proc/self/fd", again.read(), expected)
        check("listing after writes to the unlinked file", sorted(os.listdir(mnt)), [])
        check("stat of the name after writes", gone(victim), True)

        put(victim, b"a new file")
        os.pwrite(fd, b"OLD", 0)
        check("the unlinked file beside a new one of its name", os.pread(fd, 2000, 0), b"OLD" + expected[3:])
        with open(victim, "rb") as f:
            check("the new file beside the unlinked one", f.read(), b"a new file")

        with tempfile.TemporaryFile(dir=mnt) as scratch:
            data = random.Random(8).randbytes(1024 * 1024)
            scratch.write(data)
            scratch.flush()
            os.fsync(scratch.fileno())
            scratch.seek(0)
            check("TemporaryFile read back", scratch.read(), data)
            check("TemporaryFile fstat", os.fstat(scratch.fileno()).st_size, len(data))
            check("listing with a TemporaryFile open", sorted(os.listdir(mnt)), ["victim"])

        target = os.path.join(mnt, "target")
        replaced = random.Random(9).randbytes(200 * 1024)
        put(target, replaced)
        reader = os.open(target, os.O_RDONLY)
        put(os.path.join(mnt, "incoming"), b"replacement")
        os.rename(os.path.join(mnt, "incoming"), target)
        check("a file replaced by a rename, read through its open handle", os.pread(reader, len(replaced) + 10, 0), replaced)
        check("a file replaced by a rename, fstat", os.fstat(reader).st_size, len(replaced))
        os.close(reader)
        with open(target, "rb") as f:
            check("the file renamed over it", f.read(), b"replacement")

        os.close(fd)
        check("listing at the end", sorted(os.listdir(mnt)), ["target", "victim"])
        print("ALL CHECKED")
        """;

    private string _root = null!;

    public TestContext TestContext { get; set; } = null!;

    private string MountPoint => Path.Combine(_root, "mnt");

    /// <summary>A remote for a fresh, empty bucket.</summary>
    protected abstract Task<string> CreateRemoteAsync(string root);

    [TestInitialize]
    public void CreateFolders() => _root = Directory.CreateTempSubdirectory("bucketmount-unlinked-").FullName;

    [TestCleanup]
    public async Task DeleteFolders() => await Shell.RunAsync($"fusermount3 -u -z '{MountPoint}' 2>/dev/null; rm -rf '{_root}'");

    [TestMethod]
    public async Task A_file_unlinked_while_open_keeps_working_for_its_handle_and_never_reaches_the_store_again()
    {
        var remote = await CreateRemoteAsync(_root);
        var program = Path.Combine(_root, "unlinked.py");
        await File.WriteAllTextAsync(program, Program);

        await using (var mount = await MountProcess.StartAsync(remote, MountPoint, Path.Combine(_root, "cache")))
        {
            var (code, output, error) = await Shell.RunAsync($"python3 '{program}' '{MountPoint}'");
            Assert.AreEqual(0, code, $"{error}\n{output}");
            StringAssert.Contains(output, "ALL CHECKED");
            await mount.UnmountAsync();
        }

        Assert.IsEmpty(Directory.GetFiles(Path.Combine(_root, "cache", "staging")), "no copy of any file is left in the cache directory");

        await using var store = ObjectStoreFactory.Create(RemoteUri.Parse(remote));
        var keys = new List<string>();
        await foreach (var entry in store.ListAsync("", null, CancellationToken.None))
        {
            if (entry.Key != ".bucketmount-index")
            {
                keys.Add(entry.Key); // the root's metadata index aside
            }
        }

        CollectionAssert.AreEqual(new[] { "target", "victim" }, keys.Order(StringComparer.Ordinal).ToList(),
            "only the files with names are in the store: no unlinked file came back, no hidden name, no TemporaryFile");
        using var victim = new MemoryStream();
        await store.ReadToAsync("victim", 0, null, victim, null, CancellationToken.None);
        Assert.AreEqual("a new file", System.Text.Encoding.ASCII.GetString(victim.ToArray()), "the unlinked file's writes never reached its name");
    }
}

[TestClass]
public sealed class LocalStoreUnlinkedOpenFileTests : UnlinkedOpenFileMountTests
{
    protected override Task<string> CreateRemoteAsync(string root)
    {
        var store = Path.Combine(root, "store");
        Directory.CreateDirectory(store);
        return Task.FromResult("file://" + store);
    }
}

[TestClass]
public sealed class S3rverUnlinkedOpenFileTests : UnlinkedOpenFileMountTests
{
    protected override async Task<string> CreateRemoteAsync(string root)
    {
        var emulator = await Emulators.S3rver;
        var bucket = await S3Buckets.CreateBucketAsync(emulator, CancellationToken.None);
        return $"s3://{bucket}/mounted?endpoint={emulator.Endpoint}&path_style&list_version=1&conditional_writes=false&conditional_reads=false&batch_delete=false";
    }
}
