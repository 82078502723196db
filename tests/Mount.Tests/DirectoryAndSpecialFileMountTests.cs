using BucketMount.TestSupport;

namespace BucketMount.Mount.Tests;

/// <summary>
/// Directories' own mode, owner and times, their mtime moving with their entries, FIFOs, sockets and device nodes,
/// and the kernel's permission checks on them with --allow-other, through a real mount of the CLI, across an
/// unmount and a remount with an empty cache. Subclasses choose the store.
/// </summary>
public abstract class DirectoryAndSpecialFileMountTests
{
    // Type, octal mode, owner, group, device (hex major:minor), mtime with nanoseconds, name; sorted by name.
    private const string StatFormat = "%F %a %u %g %t:%T %.9Y %n";
    private string _root = null!;

    protected string MountPoint => Path.Combine(_root, "mnt");

    protected string Cache => Path.Combine(_root, "cache");

    /// <summary>A remote for a fresh, empty bucket.</summary>
    protected abstract Task<string> CreateRemoteAsync(string root);

    [TestInitialize]
    public async Task CreateFolders()
    {
        _root = Directory.CreateTempSubdirectory("bucketmount-dirs-").FullName;

        // Another user (uid 65534) must be able to reach the mount point for the --allow-other checks.
        await Shell.MustAsync($"chmod 755 '{_root}'");
    }

    [TestCleanup]
    public async Task DeleteFolders()
    {
        await Shell.RunAsync($"fusermount3 -u -z '{MountPoint}' 2>/dev/null; rm -rf '{_root}'");
    }

    [TestMethod]
    public async Task Directory_modes_owners_and_times_survive_an_empty_cache_remount_in_stat_and_in_listings()
    {
        var remote = await CreateRemoteAsync(_root);
        string before;
        await using (var mount = await MountProcess.StartAsync(remote, MountPoint, Cache))
        {
            await Shell.MustAsync("umask 022 && mkdir -m 0700 private && mkdir shared && chmod 0750 shared && chown 1234:5678 shared && "
                + "touch -d '2011-12-13 14:15:16.1234567' shared && mkdir -m 1777 sticky && mkdir plain && touch -d '2001-02-03 04:05:06' plain private sticky",
                MountPoint);
            before = await Shell.MustAsync($"stat -c '{StatFormat}' private shared sticky plain", MountPoint);
            StringAssert.Contains(before, "directory 700 0 0 0:0 981173106.000000000 private");
            StringAssert.Contains(before, "directory 750 1234 5678 0:0 1323785716.123456700 shared");
            StringAssert.Contains(before, "directory 1777 0 0 0:0 981173106.000000000 sticky");
            StringAssert.Contains(before, "directory 755 0 0 0:0 981173106.000000000 plain");
            await mount.UnmountAsync();
        }

        Directory.Delete(Cache, recursive: true);
        await using (var again = await MountAsync(remote))
        {
            // The listing first (readdirplus hands the kernel each entry's attributes), then stat by name.
            Assert.AreEqual("plain d 755 0 0 981173106.0000000000\nprivate d 700 0 0 981173106.0000000000\n"
                + "shared d 750 1234 5678 1323785716.1234567000\nsticky d 1777 0 0 981173106.0000000000\n",
                await Shell.MustAsync("find . -mindepth 1 -maxdepth 1 -printf '%P %y %m %U %G %T@\\n' | LC_ALL=C sort", MountPoint));
            Assert.AreEqual(before, await Shell.MustAsync($"stat -c '{StatFormat}' private shared sticky plain", MountPoint));
            await again.UnmountAsync();
        }
    }

    [TestMethod]
    public async Task A_directory_mtime_moves_when_entries_are_created_removed_or_renamed_and_the_last_one_is_kept()
    {
        var remote = await CreateRemoteAsync(_root);
        string kept;
        await using (var mount = await MountAsync(remote))
        {
            await Shell.MustAsync("mkdir d other && echo x > other/x", MountPoint);
            foreach (var change in new[] { "echo a > d/f", "mkdir d/sub", "ln -s f d/link", "mkfifo d/pipe", "mv other/x d/x", "mv d/x other/y", "rm d/f", "rmdir d/sub", "mv d/pipe d/pipe2" })
            {
                await Shell.MustAsync("touch -d '2001-02-03 04:05:06' d", MountPoint);
                Assert.AreEqual("981173106\n", await Shell.MustAsync("stat -c %Y d", MountPoint));
                await Shell.MustAsync(change, MountPoint);
                var moved = long.Parse(await Shell.MustAsync("stat -c %Y d", MountPoint), System.Globalization.CultureInfo.InvariantCulture);
                Assert.IsGreaterThan(981173106L, moved, $"'{change}' moves the directory's mtime");
            }

            kept = await Shell.MustAsync("stat -c %.9Y d", MountPoint);
            await mount.UnmountAsync();
        }

        Directory.Delete(Cache, recursive: true);
        await using var again = await MountAsync(remote);
        Assert.AreEqual(kept, await Shell.MustAsync("stat -c %.9Y d", MountPoint), "the last change's time was stored (at the latest by the unmount)");
        await again.UnmountAsync();
    }

    [TestMethod]
    public async Task Fifos_sockets_and_device_nodes_are_made_used_renamed_and_survive_an_empty_cache_remount()
    {
        var remote = await CreateRemoteAsync(_root);
        string before;
        await using (var mount = await MountAsync(remote))
        {
            await Shell.MustAsync("mkfifo -m 0640 pipe && mknod -m 0600 null c 1 3 && mknod disk b 8 1 && "
                + "python3 -c 'import socket; s = socket.socket(socket.AF_UNIX); s.bind(\"sock\")' && "
                + "mkfifo old && mv old renamed && mkfifo gone && rm gone && chmod 0604 null",
                MountPoint);

            // The kernel carries a FIFO's data: a writer and a reader meet through the mount.
            Assert.AreEqual("through the pipe\n", await Shell.MustAsync("(echo 'through the pipe' > pipe &) && timeout 20 cat pipe", MountPoint));
            before = await Shell.MustAsync($"stat -c '{StatFormat}' pipe null disk sock renamed", MountPoint);
            StringAssert.Contains(before, "fifo 640 0 0 0:0");
            StringAssert.Contains(before, "character special file 604 0 0 1:3");
            StringAssert.Contains(before, "block special file 644 0 0 8:1");
            StringAssert.Contains(before, "socket 755 0 0 0:0");
            Assert.AreEqual("", await Shell.MustAsync("ls gone 2>/dev/null || true", MountPoint));
            await mount.UnmountAsync();
        }

        Directory.Delete(Cache, recursive: true);
        await using var again = await MountAsync(remote);
        Assert.AreEqual(before, await Shell.MustAsync($"stat -c '{StatFormat}' pipe null disk sock renamed", MountPoint));
        Assert.AreEqual("disk\nnull\npipe\nrenamed\nsock\n", await Shell.MustAsync("ls", MountPoint));
        await again.UnmountAsync();
    }

    [TestMethod]
    public async Task New_entries_in_a_set_group_id_directory_take_its_group_and_new_subdirectories_keep_the_bit()
    {
        var remote = await CreateRemoteAsync(_root);
        await using var mount = await MountAsync(remote);
        await Shell.MustAsync("umask 022 && mkdir -m 2775 g && chgrp 5678 g && echo x > g/f && mkdir g/sub && mkfifo g/pipe", MountPoint);

        Assert.AreEqual("2755 0 5678 g/sub\n644 0 5678 g/f\n644 0 5678 g/pipe\n", await Shell.MustAsync("stat -c '%a %u %g %n' g/sub g/f g/pipe", MountPoint));
        await mount.UnmountAsync();
    }

    [TestMethod]
    public async Task With_allow_other_the_kernel_enforces_private_and_sticky_directories_as_a_local_file_system_does()
    {
        var remote = await CreateRemoteAsync(_root);
        await using var mount = await MountAsync(remote, "--allow-other");
        await Shell.MustAsync("mkdir -m 0700 private && echo secret > private/f && mkdir -m 1777 tmp && echo root > tmp/roots", MountPoint);
        const string nobody = "setpriv --reuid 65534 --regid 65534 --clear-groups";

        var (code, _, error) = await Shell.RunAsync($"{nobody} cat private/f", MountPoint);
        Assert.AreNotEqual(0, code);
        StringAssert.Contains(error, "Permission denied", "root's 0700 directory is closed to others");

        // Another user's own private directory inside the sticky one works for its owner, as on a local disk.
        await Shell.MustAsync($"{nobody} sh -c 'mkdir -m 0700 tmp/mine && echo mine > tmp/mine/f && cat tmp/mine/f && echo own > tmp/own && rm tmp/own && ls tmp/mine'", MountPoint);
        Assert.AreEqual("65534 700\n", await Shell.MustAsync("stat -c '%u %a' tmp/mine", MountPoint));

        (code, _, error) = await Shell.RunAsync($"{nobody} rm -f tmp/roots", MountPoint);
        Assert.AreNotEqual(0, code);
        StringAssert.Contains(error, "Operation not permitted", "the sticky bit keeps others from deleting root's file");
        (code, _, error) = await Shell.RunAsync($"{nobody} mv tmp/roots tmp/taken", MountPoint);
        Assert.AreNotEqual(0, code, "nor renaming it: " + error);
        Assert.AreEqual("root\n", await Shell.MustAsync("cat tmp/roots", MountPoint));
        await mount.UnmountAsync();
    }

    private async Task<MountProcess> MountAsync(string remote, params string[] extra) => await MountProcess.StartAsync(remote, MountPoint, Cache, extra);

}

[TestClass]
public sealed class LocalStoreDirectoryAndSpecialFileTests : DirectoryAndSpecialFileMountTests
{
    protected override Task<string> CreateRemoteAsync(string root)
    {
        var store = Path.Combine(root, "store");
        Directory.CreateDirectory(store);
        return Task.FromResult("file://" + store);
    }
}

/// <summary>On s3rver, without --exact-mtimes: S3 listings carry no metadata, so what shows comes from markers' HEADs.</summary>
[TestClass]
public sealed class S3rverDirectoryAndSpecialFileTests : DirectoryAndSpecialFileMountTests
{
    protected override async Task<string> CreateRemoteAsync(string root)
    {
        var emulator = await Emulators.S3rver;
        var bucket = await S3Buckets.CreateBucketAsync(emulator, CancellationToken.None);
        return $"s3://{bucket}/mounted?endpoint={emulator.Endpoint}&path_style&list_version=1&conditional_writes=false&conditional_reads=false&batch_delete=false";
    }
}

[TestClass]
public sealed class AzuriteDirectoryAndSpecialFileTests : DirectoryAndSpecialFileMountTests
{
    protected override async Task<string> CreateRemoteAsync(string root)
    {
        var options = await AzuriteContainers.CreateAsync(CancellationToken.None);
        return $"az://{options.Account}/{options.Container}/mounted?endpoint={options.Endpoint}";
    }
}
