using System.Net.Sockets;
using System.Text;

namespace BucketMount.Mount.Tests;

/// <summary>
/// Linux service conventions with real mounts: the systemd notify protocol against a stand-in notify socket, and
/// mount(8)'s helper (`mount -t fuse.bucketmount`, /etc/fstab) with fstab-style -o options.
/// </summary>
[TestClass]
public sealed class LinuxServiceMountTests
{
    private string _root = null!;

    public TestContext TestContext { get; set; } = null!;

    [TestInitialize]
    public void CreateRoot() => _root = Directory.CreateTempSubdirectory("bucketmount-service-").FullName;

    [TestCleanup]
    public void DeleteRoot() => Directory.Delete(_root, recursive: true);

    [TestMethod]
    public async Task A_mount_under_systemd_says_ready_once_mounted_and_stopping_with_more_time_while_it_uploads()
    {
        var socketPath = Path.Combine(_root, "notify.sock");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(socketPath));
        var store = Directory.CreateDirectory(Path.Combine(_root, "store")).FullName;
        var mountPoint = Path.Combine(_root, "mnt");
        var info = Cli.StartInfo(["mount", "file://" + store, mountPoint, "--cache-dir", Path.Combine(_root, "cache"), "--write-back-delay", "600"]);
        info.Environment["NOTIFY_SOCKET"] = socketPath;
        await using var mount = await MountProcess.StartAsync(info, mountPoint);

        var ready = await ReceiveUntilAsync(notify, "READY=1");
        StringAssert.Contains(ready, $"MAINPID={mount.Pid}");
        StringAssert.Contains(ready, $"STATUS=Mounted file://{store} at {mountPoint}");
        Assert.IsTrue(MountProcess.IsMounted(mountPoint), "READY comes once the mount is there");

        // A file the write-back delay keeps pending: the stop has an upload to wait for.
        await File.WriteAllTextAsync(Path.Combine(mountPoint, "late.txt"), "written just before the stop");
        var stop = mount.TerminateAsync();
        var stopping = await ReceiveUntilAsync(notify, "STOPPING=1");
        await stop;

        StringAssert.Contains(stopping, "EXTEND_TIMEOUT_USEC=30000000");
        StringAssert.Contains(stopping, "STATUS=Unmounting");
        Assert.AreEqual("written just before the stop", await File.ReadAllTextAsync(Path.Combine(store, "late.txt")));
    }

    [TestMethod]
    public async Task The_mount_helper_maps_fstab_options_and_ignores_the_ones_for_mount_and_systemd()
    {
        var (code, output) = await Cli.RunAsync(["mount-helper", "s3://bucket", "/mnt/b", "-f", "-o",
            "rw,_netdev,nofail,x-systemd.automount,x-systemd.idle-timeout=60,noauto,allow_other,uid=1000,gid=100,umask=027,ro,cache_dir=/var/cache/b,memory_cache_mib=128,no_metadata_index"]);

        Assert.AreEqual(0, code, output);
        Assert.AreEqual(
            "bucketmount mount s3://bucket /mnt/b --daemon --allow-other --uid 1000 --gid 100 --umask 027 --read-only --cache-dir /var/cache/b --memory-cache-mib 128 --no-metadata-index",
            output.Trim());
    }

    [TestMethod]
    public async Task The_mount_helper_refuses_an_unknown_option_by_name_unless_sloppy()
    {
        var (code, output) = await Cli.RunAsync(["mount-helper", "s3://bucket", "/mnt/b", "-o", "allow_othr,ro"]);
        var (sloppyCode, sloppy) = await Cli.RunAsync(["mount-helper", "s3://bucket", "/mnt/b", "-s", "-f", "-o", "allow_othr,ro"]);

        Assert.AreEqual(2, code, output);
        StringAssert.Contains(output, "unknown option 'allow_othr' (did you mean 'allow_other'?)");
        Assert.AreEqual(0, sloppyCode, sloppy);
        Assert.AreEqual("bucketmount mount s3://bucket /mnt/b --daemon --read-only", sloppy.Trim());
    }

    [TestMethod]
    public async Task The_mount_helper_mounts_in_the_background_as_mount_expects()
    {
        var store = Directory.CreateDirectory(Path.Combine(_root, "store")).FullName;
        var mountPoint = Directory.CreateDirectory(Path.Combine(_root, "mnt")).FullName;
        try
        {
            // As mount(8) runs it for the fstab line: file:///store /mnt fuse.bucketmount _netdev,x-systemd.automount,cache_dir=... 0 0
            var (code, output) = await Cli.RunAsync(["mount-helper", "file://" + store, mountPoint, "-o", $"rw,_netdev,x-systemd.automount,cache_dir={Path.Combine(_root, "cache")}"]);

            Assert.AreEqual(0, code, output);
            Assert.IsTrue(MountProcess.IsMounted(mountPoint), "mount(8) returns once the mount is there: " + output);
            await File.WriteAllTextAsync(Path.Combine(mountPoint, "via-fstab.txt"), "hello");
            var (_, listing, _) = await Shell.RunAsync($"ls -a '{mountPoint}'");
            CollectionAssert.AreEqual(new[] { ".", "..", "via-fstab.txt" }, listing.Split('\n', StringSplitOptions.RemoveEmptyEntries), "ls -a shows . and ..: " + listing);
            var unmount = await Cli.RunAsync(["unmount", mountPoint]);
            Assert.AreEqual(0, unmount.Code, unmount.Output);
            Assert.AreEqual("hello", await File.ReadAllTextAsync(Path.Combine(store, "via-fstab.txt")));
        }
        finally
        {
            await Shell.RunAsync($"fusermount3 -u -z '{mountPoint}' 2>/dev/null || true");
        }
    }

    /// <summary>Datagrams from the mount until one holds <paramref name="expected"/> (bounded: a minute); all of it, for the assertion.</summary>
    private async Task<string> ReceiveUntilAsync(Socket socket, string expected)
    {
        var buffer = new byte[4096];
        var seen = new StringBuilder();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.CancellationToken);
        limit.CancelAfter(TimeSpan.FromMinutes(1));
        while (true)
        {
            int length;
            try
            {
                length = await socket.ReceiveAsync(buffer, SocketFlags.None, limit.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"no '{expected}' from the mount within a minute; it sent:\n{seen}");
                throw;
            }

            var message = Encoding.UTF8.GetString(buffer, 0, length);
            seen.AppendLine(message);
            if (message.Contains(expected, StringComparison.Ordinal))
            {
                return message;
            }
        }
    }
}
