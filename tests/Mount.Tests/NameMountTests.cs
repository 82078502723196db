using BucketMount.TestSupport;

namespace BucketMount.Mount.Tests;

/// <summary>
/// Every name Linux allows, through a real FUSE mount of the CLI (docs/SEMANTICS.md, Names): '\' is an ordinary
/// character, names that are not UTF-8 keep their bytes, names and keys beyond the limits get ENAMETOOLONG, and
/// keys other tools wrote with characters XML cannot carry list, open and delete. Python checks names as bytes.
/// </summary>
public abstract class NameMountTests
{
    private string _root = null!;

    public TestContext TestContext { get; set; } = null!;

    protected string Work => Path.Combine(_root, "work");

    protected string MountPoint => Path.Combine(_root, "mnt");

    protected string Cache => Path.Combine(_root, "cache");

    /// <summary>A remote for a fresh, empty bucket.</summary>
    protected abstract Task<string> CreateRemoteAsync(string root);

    [TestInitialize]
    public void CreateFolders()
    {
        _root = Directory.CreateTempSubdirectory("bucketmount-names-").FullName;
        Directory.CreateDirectory(Work);
    }

    [TestCleanup]
    public async Task DeleteFolders()
    {
        await Shell.RunAsync($"fusermount3 -u -z '{MountPoint}' 2>/dev/null; rm -rf '{_root}'");
    }

    [TestMethod]
    public async Task A_backslash_is_part_of_a_name_never_a_path_to_another_file()
    {
        var remote = await CreateRemoteAsync(_root);
        await Shell.MustAsync($"printf other > '{Work}/other' && {Cli.Shell} put '{remote}' 'other\\tool.txt' '{Work}/other'");

        await using (var mount = await MountProcess.StartAsync(remote, MountPoint, Cache))
        {
            await Shell.MustAsync("mkdir sub && echo old > sub/victim && echo keep > sub/keep", MountPoint);
            await Shell.MustAsync("echo new > 'sub\\victim' && rm -f 'sub\\keep'", MountPoint);

            Assert.AreEqual("old\n", await Shell.MustAsync("cat sub/victim", MountPoint), "writing 'sub\\victim' left sub/victim alone");
            Assert.AreEqual("keep\n", await Shell.MustAsync("cat sub/keep", MountPoint), "removing 'sub\\keep' left sub/keep alone");
            Assert.AreEqual("new\n", await Shell.MustAsync("cat 'sub\\victim'", MountPoint));
            Assert.AreEqual("other", await Shell.MustAsync("cat 'other\\tool.txt'", MountPoint), "a key with '\\' from another tool opens");
            StringAssert.Contains(await Shell.MustAsync("ls", MountPoint), "other\\tool.txt");
            await mount.UnmountAsync();
        }

        var keys = await Shell.MustAsync($"{Cli.Shell} ls '{remote}' --recursive");
        StringAssert.Contains(keys, @"sub\\victim", "ls shows a backslash escaped, as ls -b does");
        StringAssert.Contains(keys, "sub/victim");
        StringAssert.Contains(keys, "sub/keep");
    }

    [TestMethod]
    public async Task Names_that_are_not_utf8_stay_distinct_files_and_list_with_their_bytes()
    {
        var remote = await CreateRemoteAsync(_root);
        const string check = """
            import os
            names = sorted(os.listdir(b'.'))
            assert names == [b'x\xe2\x80\x9bFF', b'x\xfe', b'x\xff'], names
            for name in names:
                with open(name, 'rb') as f:
                    assert f.read() == name, (name, f.read())
            print('ok')
            """;

        await using (var mount = await MountProcess.StartAsync(remote, MountPoint, Cache))
        {
            // The third name is the text of the escape the first one is stored under: it must stay a third file.
            await Shell.MustAsync("""python3 -c "for n in [b'x\xff', b'x\xfe', 'x\u201bFF'.encode()]: open(n, 'wb').write(n)" """, MountPoint);
            Assert.AreEqual("ok\n", await Shell.MustAsync($"python3 -c \"{check}\"", MountPoint));
            await mount.UnmountAsync();
        }

        Directory.Delete(Cache, recursive: true);
        await using var again = await MountProcess.StartAsync(remote, MountPoint, Cache);
        Assert.AreEqual("ok\n", await Shell.MustAsync($"python3 -c \"{check}\"", MountPoint), "the same after a remount with an empty cache");
        await again.UnmountAsync();
    }

    [TestMethod]
    public async Task Names_and_paths_beyond_the_limits_get_name_too_long_on_every_operation()
    {
        var remote = await CreateRemoteAsync(_root);
        // Eight 100-byte folders make an 808-byte prefix; a 230-byte name below them passes 1,024 bytes of key
        // (s3rver cannot store segments near 255 bytes, and never needs to: these are refused before any request).
        const string script = """
            import errno, os
            long = b'n' * 256
            deep = b'/'.join([b'd' * 100] * 8)
            os.makedirs(deep)
            open(b'a', 'w').close()
            tooLongKey = deep + b'/' + b'k' * 230
            results = []
            for what, call in [
                ('create', lambda: open(long, 'w')),
                ('mkdir', lambda: os.mkdir(long)),
                ('stat', lambda: os.stat(long)),
                ('rename', lambda: os.rename(b'a', long)),
                ('symlink', lambda: os.symlink(b'a', long)),
                ('create deep', lambda: open(tooLongKey, 'w')),
                ('mkdir deep', lambda: os.mkdir(tooLongKey)),
                ('stat deep', lambda: os.stat(tooLongKey)),
                ('rename deep', lambda: os.rename(b'a', tooLongKey)),
                ('symlink deep', lambda: os.symlink(b'a', tooLongKey)),
            ]:
                try:
                    call()
                    results.append(what + ': succeeded')
                except OSError as e:
                    results.append(what + ': ' + errno.errorcode[e.errno])
            print('\n'.join(results))
            """;

        await using var mount = await MountProcess.StartAsync(remote, MountPoint, Cache);
        var results = await Shell.MustAsync($"python3 -c \"{script}\"", MountPoint);
        foreach (var line in results.Trim().Split('\n'))
        {
            StringAssert.EndsWith(line, ": ENAMETOOLONG", $"every result:\n{results}");
        }

        Assert.AreEqual(10, results.Trim().Split('\n').Length);
        await mount.UnmountAsync();
    }

    [TestMethod]
    public async Task Keys_with_a_control_character_written_by_another_tool_list_open_and_delete()
    {
        var remote = await CreateRemoteAsync(_root);
        await Shell.MustAsync($"printf top > '{Work}/top' && printf inner > '{Work}/inner'");
        await Shell.MustAsync($"{Cli.Shell} put '{remote}' $'top\\x01.txt' '{Work}/top' && {Cli.Shell} put '{remote}' $'ctl\\x01dir/inner.txt' '{Work}/inner' && {Cli.Shell} put '{remote}' plain.txt '{Work}/top'");
        StringAssert.Contains(await Shell.MustAsync($"{Cli.Shell} ls '{remote}'"), @"top\001.txt", "bucketmount ls shows the key, its control character escaped as ls -b does");

        await using (var mount = await MountProcess.StartAsync(remote, MountPoint, Cache))
        {
            const string script = """
                import os
                assert sorted(os.listdir(b'.')) == [b'ctl\x01dir', b'plain.txt', b'top\x01.txt'], os.listdir(b'.')
                assert os.listdir(b'ctl\x01dir') == [b'inner.txt'], os.listdir(b'ctl\x01dir')
                assert open(b'top\x01.txt', 'rb').read() == b'top'
                assert open(b'ctl\x01dir/inner.txt', 'rb').read() == b'inner'
                os.remove(b'top\x01.txt')
                assert sorted(os.listdir(b'.')) == [b'ctl\x01dir', b'plain.txt'], os.listdir(b'.')
                print('ok')
                """;
            Assert.AreEqual("ok\n", await Shell.MustAsync($"python3 -c \"{script}\"", MountPoint));
            await mount.UnmountAsync();
        }

        await Shell.MustAsync($"{Cli.Shell} rm '{remote}' $'ctl\\x01dir/inner.txt'");
        var left = await Shell.MustAsync($"{Cli.Shell} ls '{remote}' --recursive");
        StringAssert.Contains(left, "plain.txt");
        Assert.DoesNotContain(@"\001", left, $"the mount's rm and bucketmount rm deleted both keys:\n{left}");
    }
}

[TestClass]
public sealed class LocalStoreNameMountTests : NameMountTests
{
    protected override Task<string> CreateRemoteAsync(string root)
    {
        var store = Path.Combine(root, "store");
        Directory.CreateDirectory(store);
        return Task.FromResult("file://" + store);
    }
}

/// <summary>On s3rver, which ignores encoding-type=url: its raw listings are what the repair is for.</summary>
[TestClass]
public sealed class S3rverNameMountTests : NameMountTests
{
    protected override async Task<string> CreateRemoteAsync(string root)
    {
        var emulator = await Emulators.S3rver;
        var bucket = await S3Buckets.CreateBucketAsync(emulator, CancellationToken.None);
        return $"s3://{bucket}/mounted?endpoint={emulator.Endpoint}&path_style&list_version=1&conditional_writes=false&conditional_reads=false&batch_delete=false";
    }
}
