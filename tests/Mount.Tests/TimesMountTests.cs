using BucketMount.TestSupport;

namespace BucketMount.Mount.Tests;

/// <summary>
/// File times through a real mount (docs/SEMANTICS.md, Attributes): ctime moves on chmod, chown, rename and
/// truncate and is stored; touch -a / -m / -d and utimensat with UTIME_OMIT / UTIME_NOW set exactly the times asked;
/// both survive an unmount and a mount with an empty cache. Times are compared in nanoseconds, never by a clock.
/// </summary>
public abstract class TimesMountTests
{
    private const string StatTimes = """
        import os, sys
        s = os.stat(sys.argv[1])
        print(s.st_atime_ns, s.st_mtime_ns, s.st_ctime_ns, oct(s.st_mode), s.st_uid)
        """;

    private string _root = null!;

    public TestContext TestContext { get; set; } = null!;

    private string MountPoint => Path.Combine(_root, "mnt");

    private string Cache => Path.Combine(_root, "cache");

    /// <summary>A remote for a fresh, empty bucket.</summary>
    protected abstract Task<string> CreateRemoteAsync(string root);

    [TestInitialize]
    public void CreateFolders() => _root = Directory.CreateTempSubdirectory("bucketmount-times-").FullName;

    [TestCleanup]
    public async Task DeleteFolders() => await Shell.RunAsync($"fusermount3 -u -z '{MountPoint}' 2>/dev/null; rm -rf '{_root}'");

    [TestMethod]
    public async Task Ctime_moves_on_chmod_rename_truncate_and_chown_and_survives_an_empty_cache_remount()
    {
        const string script = """
            import os
            def times(path):
                s = os.stat(path)
                return s.st_mtime_ns, s.st_ctime_ns
            fd = os.open('f', os.O_CREAT | os.O_WRONLY, 0o644)
            os.write(fd, b'hello')
            os.fsync(fd)  # uploaded: the changes below change a stored object
            os.close(fd)
            m0, c0 = times('f')
            os.chmod('f', 0o600)
            m1, c1 = times('f')
            assert m1 == m0 and c1 > c0, ('chmod', m0, c0, m1, c1)
            os.rename('f', 'g')
            m2, c2 = times('g')
            assert m2 == m1 and c2 > c1, ('rename', m1, c1, m2, c2)
            os.truncate('g', 2)
            m3, c3 = times('g')
            assert m3 > m2 and c3 >= m3 and c3 > c2, ('truncate', m2, c2, m3, c3)
            fd = os.open('g', os.O_RDONLY)
            os.fsync(fd)
            os.close(fd)
            os.chown('g', 1234, 1234)
            m4, c4 = times('g')
            assert m4 == m3 and c4 > c3, ('chown', m3, c3, m4, c4)
            os.rename('g', 'h')  # a clean, stored file: the copy carries the new ctime
            m5, c5 = times('h')
            assert m5 == m4 and c5 > c4, ('rename of a stored file', m4, c4, m5, c5)
            print('ok')
            """;

        var remote = await CreateRemoteAsync(_root);
        string before;
        await using (var mount = await MountProcess.StartAsync(remote, MountPoint, Cache))
        {
            Assert.AreEqual("ok\n", await Shell.MustAsync($"python3 -c \"{script}\"", MountPoint));
            before = await Shell.MustAsync($"python3 -c \"{StatTimes}\" h", MountPoint);
            await mount.UnmountAsync();
        }

        Directory.Delete(Cache, recursive: true);
        await using var again = await MountProcess.StartAsync(remote, MountPoint, Cache);
        var after = await Shell.MustAsync($"python3 -c \"{StatTimes}\" h", MountPoint);
        Assert.AreEqual(before, after, "atime, mtime, ctime, mode and owner after a remount with an empty cache");
        var fields = after.Split(' ');
        Assert.AreNotEqual(fields[1], fields[2], "ctime is its own time, not mtime shown twice");
        await again.UnmountAsync();
    }

    [TestMethod]
    public async Task Touch_and_utimensat_set_exactly_the_times_asked_and_they_survive_an_empty_cache_remount()
    {
        // utimensat through ctypes: python's os.utime cannot leave one time alone (UTIME_OMIT) or ask for UTIME_NOW.
        const string utimensat = """
            import ctypes, os, sys
            UTIME_NOW, UTIME_OMIT = (1 << 30) - 1, (1 << 30) - 2
            class Timespec(ctypes.Structure):
                _fields_ = [('sec', ctypes.c_long), ('nsec', ctypes.c_long)]
            def spec(value):
                return Timespec(0, UTIME_NOW) if value == 'now' else Timespec(0, UTIME_OMIT) if value == 'omit' else Timespec(int(value) // 10**9, int(value) % 10**9)
            libc = ctypes.CDLL(None, use_errno=True)
            times = (Timespec * 2)(spec(sys.argv[2]), spec(sys.argv[3]))
            if libc.utimensat(-100, sys.argv[1].encode(), times, 0) != 0:
                raise OSError(ctypes.get_errno(), 'utimensat')
            """;
        await File.WriteAllTextAsync(Path.Combine(_root, "utimensat.py"), utimensat);
        var set = $"python3 '{Path.Combine(_root, "utimensat.py")}'";

        var remote = await CreateRemoteAsync(_root);
        string before;
        await using (var mount = await MountProcess.StartAsync(remote, MountPoint, Cache))
        {
            await Shell.MustAsync("printf data > f && python3 -c \"import os; fd = os.open('f', os.O_RDONLY); os.fsync(fd)\"", MountPoint);

            // Both times, to the nanosecond.
            await Shell.MustAsync("touch -d '2001-02-03 04:05:06.123456789' f", MountPoint);
            Assert.AreEqual("981173106123456789 981173106123456789", await TimesAsync("f"), "touch -d sets atime and mtime");

            // touch -a: atime only (mtime UTIME_OMIT).
            await Shell.MustAsync("touch -a -d '2002-03-04 05:06:07.987654321' f", MountPoint);
            Assert.AreEqual("1015218367987654321 981173106123456789", await TimesAsync("f"), "touch -a leaves mtime");

            // touch -m: mtime only (atime UTIME_OMIT).
            await Shell.MustAsync("touch -m -d '2003-04-05 06:07:08.5' f", MountPoint);
            Assert.AreEqual("1015218367987654321 1049522828500000000", await TimesAsync("f"), "touch -m leaves atime");

            // UTIME_NOW for atime with mtime omitted (touch -a without a date): atime is now, mtime stays.
            var start = await Shell.MustAsync("date +%s%N");
            await Shell.MustAsync($"{set} f now omit", MountPoint);
            var times = (await TimesAsync("f")).Split(' ');
            Assert.AreEqual("1049522828500000000", times[1], "UTIME_OMIT left mtime alone");
            Assert.IsGreaterThanOrEqualTo(long.Parse(start) / 100 * 100, long.Parse(times[0]), "UTIME_NOW set atime to now");

            // An explicit mtime with atime omitted.
            await Shell.MustAsync($"{set} f omit 1234567890000000123", MountPoint);
            Assert.AreEqual($"{times[0]} 1234567890000000123", await TimesAsync("f"), "UTIME_OMIT left atime alone");
            before = await Shell.MustAsync($"python3 -c \"{StatTimes}\" f", MountPoint);
            await mount.UnmountAsync();
        }

        Directory.Delete(Cache, recursive: true);
        await using var again = await MountProcess.StartAsync(remote, MountPoint, Cache);
        Assert.AreEqual(before, await Shell.MustAsync($"python3 -c \"{StatTimes}\" f", MountPoint), "atime, mtime and ctime after a remount with an empty cache");
        await again.UnmountAsync();
    }

    private async Task<string> TimesAsync(string name) =>
        (await Shell.MustAsync($"python3 -c \"import os; s = os.stat('{name}'); print(s.st_atime_ns, s.st_mtime_ns)\"", MountPoint)).Trim();
}

[TestClass]
public sealed class LocalStoreTimesMountTests : TimesMountTests
{
    protected override Task<string> CreateRemoteAsync(string root)
    {
        var store = Path.Combine(root, "store");
        Directory.CreateDirectory(store);
        return Task.FromResult("file://" + store);
    }
}

[TestClass]
public sealed class S3rverTimesMountTests : TimesMountTests
{
    protected override async Task<string> CreateRemoteAsync(string root)
    {
        var emulator = await Emulators.S3rver;
        var bucket = await S3Buckets.CreateBucketAsync(emulator, CancellationToken.None);
        return $"s3://{bucket}/mounted?endpoint={emulator.Endpoint}&path_style&list_version=1&conditional_writes=false&conditional_reads=false&batch_delete=false";
    }
}
