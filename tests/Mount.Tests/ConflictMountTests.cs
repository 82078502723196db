namespace BucketMount.Mount.Tests;

/// <summary>
/// Conflict handling through a real FUSE mount of the CLI on the local store (which honours conditional writes):
/// our own attribute changes are never taken for someone else's change.
/// </summary>
[TestClass]
public sealed class ConflictMountTests
{
    private string _root = null!;

    public TestContext TestContext { get; set; } = null!;

    private string Store => Path.Combine(_root, "store");

    private string MountPoint => Path.Combine(_root, "mnt");

    [TestInitialize]
    public void CreateFolders()
    {
        _root = Directory.CreateTempSubdirectory("bucketmount-conflict-").FullName;
        Directory.CreateDirectory(Store);
    }

    [TestCleanup]
    public async Task DeleteFolders()
    {
        await Shell.RunAsync($"fusermount3 -u -z '{MountPoint}' 2>/dev/null; rm -rf '{_root}'");
    }

    [TestMethod]
    public async Task Chmod_while_a_file_is_rewritten_and_uploaded_keeps_the_newest_bytes_under_its_name_and_makes_no_conflict_copy()
    {
        // With keep-both, a false conflict shows as a .conflict- copy holding our newest bytes while the name keeps
        // older ones (about one rewrite in seven did before). No write-back delay: every close uploads at once, so
        // the chmods meet uploads in flight.
        await using (var mount = await MountProcess.StartAsync("file://" + Store, MountPoint, Path.Combine(_root, "cache"),
            "--conflict", "KeepBoth", "--write-back-delay", "0"))
        {
            await Shell.MustAsync("printf 'version 0' > f.txt", MountPoint);
            await Shell.MustAsync(
                "(for i in $(seq 1 30); do printf \"version $i\" > f.txt; sleep 0.02; done) & writer=$!; " +
                "(for i in $(seq 1 60); do chmod 600 f.txt; chmod 644 f.txt; done) & changer=$!; " +
                "wait $writer; wait $changer",
                MountPoint, TimeSpan.FromMinutes(3));
            Assert.AreEqual("version 30", await Shell.MustAsync("cat f.txt", MountPoint));
            await mount.UnmountAsync();
        }

        Assert.AreEqual("version 30", await File.ReadAllTextAsync(Path.Combine(Store, "f.txt")), "the newest bytes are under the name");
        Assert.IsEmpty(Directory.GetFiles(Store, "*.conflict-*", SearchOption.TopDirectoryOnly), "no conflict copy of a file nobody else touched");
    }

    [TestMethod]
    public async Task A_partial_rewrite_of_a_file_replaced_meanwhile_keeps_both_and_unmount_succeeds()
    {
        // A program changes two bytes in the middle of a file while another tool replaces the file in the store. The
        // version the change was made on is gone: theirs stays, ours goes beside it, and unmount says all is in the
        // store (it used to exit 1 saying the change stayed queued for the next mount, with nothing queued).
        await File.WriteAllTextAsync(Path.Combine(Store, "data.bin"), "0123456789");
        await using (var mount = await MountProcess.StartAsync("file://" + Store, MountPoint, Path.Combine(_root, "cache")))
        {
            await Shell.MustAsync(
                "python3 -c \"import os, sys; fd = os.open('data.bin', os.O_RDWR); os.pwrite(fd, b'ab', 3); " +
                "open(sys.argv[1], 'w').write('their version'); os.close(fd)\" " + $"'{Store}/data.bin'",
                MountPoint);
            await mount.UnmountAsync();
        }

        Assert.AreEqual("their version", await File.ReadAllTextAsync(Path.Combine(Store, "data.bin")));
        var copies = Directory.GetFiles(Store, "data.conflict-*", SearchOption.TopDirectoryOnly);
        Assert.HasCount(1, copies, "ours was kept beside theirs");
        Assert.AreEqual("theab vers", await File.ReadAllTextAsync(copies[0]), "our two bytes, over theirs where ours were never read");
    }
}
