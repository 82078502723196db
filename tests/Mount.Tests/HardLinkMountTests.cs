using BucketMount.TestSupport;

namespace BucketMount.Mount.Tests;

/// <summary>
/// Hard links through a real mount (docs/SEMANTICS.md, Hard links): link() makes the new name a copy, so cp -a and
/// rsync -aH of a tree with hard links copy every file (refused with EPERM, they left the second names out), links of
/// files with unsaved changes and of symbolic links copy what programs see, and all of it survives a remount.
/// </summary>
public abstract class HardLinkMountTests
{
    private string _root = null!;

    public TestContext TestContext { get; set; } = null!;

    private string Source => Path.Combine(_root, "src");

    private string MountPoint => Path.Combine(_root, "mnt");

    private string Cache => Path.Combine(_root, "cache");

    /// <summary>A remote for a fresh, empty bucket.</summary>
    protected abstract Task<string> CreateRemoteAsync(string root);

    [TestInitialize]
    public void CreateFolders() => _root = Directory.CreateTempSubdirectory("bucketmount-links-").FullName;

    [TestCleanup]
    public async Task DeleteFolders() => await Shell.RunAsync($"fusermount3 -u -z '{MountPoint}' 2>/dev/null; rm -rf '{_root}'");

    [TestMethod]
    public async Task Cp_a_and_rsync_aH_copy_every_name_of_a_hard_linked_file_and_ln_makes_a_copy()
    {
        await Shell.MustAsync($"mkdir -p '{Source}/sub' && printf shared > '{Source}/a' && ln '{Source}/a' '{Source}/sub/b' && ln '{Source}/a' '{Source}/c' && printf single > '{Source}/d' && chmod 751 '{Source}/a' && touch -d '2001-02-03 04:05:06' '{Source}/a'");
        var remote = await CreateRemoteAsync(_root);
        await using (var mount = await MountProcess.StartAsync(remote, MountPoint, Cache))
        {
            await Shell.MustAsync($"cp -a '{Source}' cpa && rsync -aH '{Source}/' rs/ && rsync -aH '{Source}/' rs/", MountPoint);
            await Shell.MustAsync($"diff -r '{Source}' cpa && diff -r '{Source}' rs", MountPoint);
            Assert.AreEqual("751 981173106 shared\n", await Shell.MustAsync("stat -c '%a %Y ' rs/sub/b | tr -d '\\n' && cat rs/sub/b && echo", MountPoint), "the copy keeps mode and mtime");

            // ln of a stored file, of one with unsaved changes, and of a symbolic link; then the names go separate ways.
            await Shell.MustAsync("printf unsaved > new && ln new new-link && ln cpa/d d-link && ln -s target sym && ln sym sym-link && printf more >> new", MountPoint);
            Assert.AreEqual("unsaved|single|target|unsavedmore", await Shell.MustAsync("printf '%s|%s|%s|%s' \"$(cat new-link)\" \"$(cat d-link)\" \"$(readlink sym-link)\" \"$(cat new)\"", MountPoint));
            Assert.AreEqual(1, (await Shell.RunAsync("ln new new-link", MountPoint)).ExitCode, "ln onto a taken name fails (EEXIST)");
            await mount.UnmountAsync();
        }

        Directory.Delete(Cache, recursive: true);
        await using var again = await MountProcess.StartAsync(remote, MountPoint, Cache);
        await Shell.MustAsync($"diff -r '{Source}' cpa && diff -r '{Source}' rs", MountPoint);
        Assert.AreEqual("unsaved|single|target", await Shell.MustAsync("printf '%s|%s|%s' \"$(cat new-link)\" \"$(cat d-link)\" \"$(readlink sym-link)\"", MountPoint));
        await again.UnmountAsync();
    }
}

[TestClass]
public sealed class LocalStoreHardLinkMountTests : HardLinkMountTests
{
    protected override Task<string> CreateRemoteAsync(string root)
    {
        var store = Path.Combine(root, "store");
        Directory.CreateDirectory(store);
        return Task.FromResult("file://" + store);
    }
}

[TestClass]
public sealed class S3rverHardLinkMountTests : HardLinkMountTests
{
    protected override async Task<string> CreateRemoteAsync(string root)
    {
        var emulator = await Emulators.S3rver;
        var bucket = await S3Buckets.CreateBucketAsync(emulator, CancellationToken.None);
        return $"s3://{bucket}/mounted?endpoint={emulator.Endpoint}&path_style&list_version=1&conditional_writes=false&conditional_reads=false&batch_delete=false";
    }
}
