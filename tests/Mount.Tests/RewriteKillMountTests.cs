using System.Diagnostics;

namespace BucketMount.Mount.Tests;

/// <summary>
/// Through a real mount of the local store: a closed 1 MiB file is rewritten with O_TRUNC before its upload, and the
/// mount is SIGKILLed with the rewrite half done. The next mount of the same cache stores exactly the closed file,
/// unmounts with exit 0, and removes the unfinished rewrite's local copy, saying so.
/// </summary>
[TestClass]
public sealed class RewriteKillMountTests
{
    private string _root = null!;
    private Process? _writer;

    public TestContext TestContext { get; set; } = null!;

    private string MountPoint => Path.Combine(_root, "mnt");

    private string Cache => Path.Combine(_root, "cache");

    [TestInitialize]
    public void CreateRoot() => _root = Directory.CreateTempSubdirectory("bucketmount-rewrite-kill-").FullName;

    [TestCleanup]
    public async Task StopWriterAndDeleteRoot()
    {
        if (_writer is { HasExited: false })
        {
            _writer.Kill(entireProcessTree: true);
            await _writer.WaitForExitAsync();
        }

        _writer?.Dispose();
        await Shell.RunAsync($"fusermount3 -u -z '{MountPoint}' 2>/dev/null; rm -rf '{_root}'");
    }

    [TestMethod]
    public async Task A_file_rewritten_when_the_mount_was_killed_comes_back_as_it_was_closed()
    {
        var token = TestContext.CancellationTokenSource.Token;
        var remote = "file://" + Directory.CreateDirectory(Path.Combine(_root, "store")).FullName;
        var closed = Path.Combine(_root, "a.bin");
        var rewrite = Path.Combine(_root, "b.bin");
        var written = Path.Combine(_root, "written");
        await Shell.MustAsync($"head -c 1048576 /dev/urandom > '{closed}' && head -c 300000 /dev/urandom > '{rewrite}'");

        await using (var mount = await MountProcess.StartAsync(remote, MountPoint, Cache, "--write-back-delay", "3600"))
        {
            await Shell.MustAsync($"cp '{closed}' '{MountPoint}/file.bin'");

            // The rewrite: O_TRUNC, 300,000 bytes of the new content written, the descriptor never closed (a shell's
            // `cat >&3` would close its copy, which makes what it wrote durable, as a close does).
            var program = "import os, sys, time\n" +
                "fd = os.open(sys.argv[1], os.O_WRONLY | os.O_TRUNC)\n" +
                "data = open(sys.argv[2], 'rb').read()\n" +
                "done = 0\n" +
                "while done < len(data): done += os.write(fd, data[done:])\n" +
                "open(sys.argv[3], 'w').close()\n" +
                "time.sleep(120)\n";
            _writer = Process.Start(new ProcessStartInfo("python3", ["-c", program, Path.Combine(MountPoint, "file.bin"), rewrite, written]) { UseShellExecute = false })!;
            for (var i = 0; i < 300 && !File.Exists(written); i++)
            {
                await Task.Delay(100, token);
            }

            Assert.IsTrue(File.Exists(written), "the rewrite was written within 30 s");
            await mount.KillAsync();
        }

        _writer.Kill(entireProcessTree: true);
        await _writer.WaitForExitAsync(token);

        await using (var again = await MountProcess.StartAsync(remote, MountPoint, Cache))
        {
            Assert.AreEqual(await ShaAsync($"cat '{closed}'"), await ShaAsync($"cat '{MountPoint}/file.bin'"), "the mount serves the closed file");
            await again.UnmountAsync();
            StringAssert.Contains(again.ErrorsSoFar, "Removed 1 local cop(ies)");
        }

        Assert.AreEqual(await ShaAsync($"cat '{closed}'"), await ShaAsync($"{Cli.Shell} cat '{remote}' file.bin"), "the store holds exactly the closed file");
        Assert.AreEqual(0, await CountAsync($"find '{Path.Combine(Cache, "staging")}' -type f"), "nothing is left in the cache's staging folder");
    }

    private static async Task<string> ShaAsync(string command) => (await Shell.MustAsync($"{command} | sha256sum")).Split(' ')[0];

    private static async Task<int> CountAsync(string command) => int.Parse((await Shell.MustAsync($"{command} | wc -l")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
}
