namespace BucketMount.Mount.Tests;

/// <summary>
/// Inode numbers through a real mount (docs/SEMANTICS.md, Refused by design, Inode numbers): libfuse numbers only
/// the files the kernel holds in its inode cache, so once the kernel dropped one (memory pressure; here
/// drop_caches) the same file came back with a new number, which find, git and pjdfstest (rename/09.t, 10.t)
/// take for another file. The mount asks libfuse to remember numbers for a while after that.
/// </summary>
[TestClass]
public sealed class InodeNumberMountTests
{
    private string _root = null!;

    public TestContext TestContext { get; set; } = null!;

    private string MountPoint => Path.Combine(_root, "mnt");

    [TestInitialize]
    public void CreateFolders() => _root = Directory.CreateTempSubdirectory("bucketmount-inodes-").FullName;

    [TestCleanup]
    public async Task DeleteFolders() => await Shell.RunAsync($"fusermount3 -u -z '{MountPoint}' 2>/dev/null; rm -rf '{_root}'");

    [TestMethod]
    public async Task A_file_and_a_directory_keep_their_inode_numbers_after_the_kernel_drops_its_caches()
    {
        if (Environment.UserName != "root")
        {
            Assert.Inconclusive("dropping the kernel's caches needs root (CI runs as root).");
        }

        var store = Path.Combine(_root, "store");
        Directory.CreateDirectory(store);
        await using var mount = await MountProcess.StartAsync("file://" + store, MountPoint, Path.Combine(_root, "cache"));
        await Shell.MustAsync("mkdir d && echo a > d/f && echo b > g", MountPoint);
        var before = await Shell.MustAsync("stat -c %i d d/f g", MountPoint);

        // Nothing holds these names now (each command above has exited), so the kernel drops them with its
        // dentry and inode caches and asks libfuse again at the next stat.
        await Shell.MustAsync("sync && echo 2 > /proc/sys/vm/drop_caches");
        var after = await Shell.MustAsync("stat -c %i d d/f g", MountPoint);

        Assert.AreEqual(before, after, "the same files keep their numbers");
        await mount.UnmountAsync();
    }
}
