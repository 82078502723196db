using System.Runtime.InteropServices;
using System.Text;

namespace BucketMount.Mount.Tests;

/// <summary>
/// What a mount keeps on this machine (cache, journal, staging, log, control folder, the local store's own
/// area) holds the bucket's data and names: another local user must not read any of it, whatever the umask of
/// the shell that started the mount, and an earlier run's wider folders are narrowed at start, saying so.
/// </summary>
[TestClass]
public sealed class PrivateCacheMountTests
{
    private const UnixFileMode OthersAccess = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private const UnixFileMode Wide = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private string _root = null!;

    public TestContext TestContext { get; set; } = null!;

    [TestInitialize]
    public void CreateRoot() => _root = Directory.CreateTempSubdirectory("bucketmount-private-").FullName;

    [TestCleanup]
    public void DeleteRoot() => Directory.Delete(_root, recursive: true);

    [TestMethod]
    public async Task Every_file_and_folder_the_mount_keeps_locally_is_private_and_wider_ones_are_narrowed_at_start()
    {
        var store = Path.Combine(_root, "store");
        var cache = Path.Combine(_root, "cache");
        var log = Path.Combine(_root, "logs", "mount.log");
        Directory.CreateDirectory(Path.Combine(cache, "left-by-an-older-run"), Wide);
        File.SetUnixFileMode(cache, Wide);
        File.WriteAllText(Path.Combine(cache, "left-by-an-older-run", "data"), "old");
        File.SetUnixFileMode(Path.Combine(cache, "left-by-an-older-run", "data"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        // The mount inherits a permissive umask, as from a default shell.
        var previous = Umask(0x12);
        await using var mount = await MountProcess.StartAsync("file://" + store, Path.Combine(_root, "mnt"), cache, "--log-file", log, "--write-back-delay", "3600");
        Umask(previous);

        await using (var file = File.Create(Path.Combine(mount.MountPoint, "notes.txt")))
        {
            await file.WriteAsync(Encoding.UTF8.GetBytes("password=hunter2-TOPSECRET"), TestContext.CancellationTokenSource.Token);
        }

        Directory.CreateDirectory(Path.Combine(mount.MountPoint, "dir"));
        File.WriteAllText(Path.Combine(mount.MountPoint, "dir", "more.txt"), "more");
        _ = File.ReadAllText(Path.Combine(mount.MountPoint, "notes.txt"));

        // While mounted, with the written data in the journal and staging files.
        var open = OpenToOthers(cache).Concat(OpenToOthers(Path.Combine(_root, "logs"))).ToList();
        Assert.IsTrue(Directory.EnumerateFiles(cache, "*", SearchOption.AllDirectories).Count() >= 3, "the cache holds files to check");
        CollectionAssert.AreEqual(Array.Empty<string>(), open, "open to other users: " + string.Join(", ", open));

        await mount.UnmountAsync();
        var afterUnmount = OpenToOthers(cache).Concat(OpenToOthers(Path.Combine(store, ".bucketmount"))).Concat(OpenToOthers(Path.Combine(_root, "logs"))).ToList();
        CollectionAssert.AreEqual(Array.Empty<string>(), afterUnmount, "open to other users: " + string.Join(", ", afterUnmount));
        // The store's own data is the user's bucket, not the mount's: it keeps the user's umask (022 here).
        Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            File.GetUnixFileMode(Path.Combine(store, "dir", "more.txt")), "a data file of the local store");
        Assert.AreEqual(Wide, File.GetUnixFileMode(Path.Combine(store, "dir")), "a data folder of the local store");
        var logText = File.ReadAllText(log);
        StringAssert.Contains(logText, "cache folder " + cache + " was open to other users");
        Assert.AreEqual(1, logText.Split('\n').Count(l => l.Contains("was open to other users", StringComparison.Ordinal)), logText);
    }

    /// <summary>
    /// A --daemon mount runs in a process its starter made with umask 077: the local store's data must still get
    /// the user's umask (it was 0600/0700 in the store whatever the shell's umask). Then, mounted again at once,
    /// the new mount answers `status` and `unmount` (the old process, exiting, deleted the new one's socket).
    /// </summary>
    [TestMethod]
    public async Task A_background_mount_gives_the_local_stores_data_the_users_umask_and_a_quick_remount_stays_reachable()
    {
        var store = Directory.CreateDirectory(Path.Combine(_root, "store")).FullName;
        var mountPoint = Directory.CreateDirectory(Path.Combine(_root, "mnt")).FullName;
        var runtime = Directory.CreateDirectory(Path.Combine(_root, "run")).FullName;
        void OwnRuntimeFolder(System.Diagnostics.ProcessStartInfo info) => info.Environment["XDG_RUNTIME_DIR"] = runtime;
        string[] mountArguments = ["mount", "file://" + store, mountPoint, "--daemon", "--cache-dir", Path.Combine(_root, "cache")];

        var previous = Umask(0x12);
        (int Code, string Output) started;
        try
        {
            started = await Cli.RunAsync(mountArguments, OwnRuntimeFolder);
        }
        finally
        {
            Umask(previous);
        }

        Assert.AreEqual(0, started.Code, started.Output);
        try
        {
            Directory.CreateDirectory(Path.Combine(mountPoint, "dir"));
            await File.WriteAllTextAsync(Path.Combine(mountPoint, "dir", "shared.txt"), "for the folder's other readers", TestContext.CancellationToken);
        }
        finally
        {
            var unmount = await Cli.RunAsync(["unmount", mountPoint], OwnRuntimeFolder);
            Assert.AreEqual(0, unmount.Code, unmount.Output);
        }

        Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            File.GetUnixFileMode(Path.Combine(store, "dir", "shared.txt")), "a data file of the local store, written by a background mount");
        Assert.AreEqual(Wide, File.GetUnixFileMode(Path.Combine(store, "dir")), "a data folder of the local store, written by a background mount");

        var again = await Cli.RunAsync(mountArguments, OwnRuntimeFolder);
        Assert.AreEqual(0, again.Code, again.Output);
        var status = await Cli.RunAsync(["status", mountPoint], OwnRuntimeFolder);
        var last = await Cli.RunAsync(["unmount", mountPoint], OwnRuntimeFolder);
        Assert.AreEqual(0, status.Code, "the new mount answers status: " + status.Output);
        Assert.AreEqual(0, last.Code, "the new mount answers unmount: " + last.Output);
    }

    private static IEnumerable<string> OpenToOthers(string folder)
    {
        var walk = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 };
        return new[] { folder }.Concat(Directory.EnumerateFileSystemEntries(folder, "*", walk))
            .Where(path => (File.GetUnixFileMode(path) & OthersAccess) != 0)
            .Select(path => $"{path} ({Convert.ToString((int)File.GetUnixFileMode(path), 8)})");
    }

    // DllImport: this test project has no unsafe code, which LibraryImport needs; umask takes and returns a plain int.
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "umask")]
    private static extern uint Umask(uint mask);
#pragma warning restore SYSLIB1054
}
