using BucketMount.Cli.Logging;
using BucketMount.Cli.Mounting;
using BucketMount.Engine.Diagnostics;
using BucketMount.Engine.Hosting;
using BucketMount.Hosting;
using Microsoft.Extensions.Logging;

namespace BucketMount.Mount.Tests;

/// <summary>
/// Logs that log: Debug prints each store request, Trace each file operation of the kernel, a log file rotates;
/// the unmount progress line counts bytes as parts reach the store and gives an ETA.
/// </summary>
[TestClass]
public sealed class LogAndProgressTests
{
    private string _root = null!;

    public TestContext TestContext { get; set; } = null!;

    [TestInitialize]
    public void CreateRoot() => _root = Directory.CreateTempSubdirectory("bucketmount-logs-").FullName;

    [TestCleanup]
    public void DeleteRoot() => Directory.Delete(_root, recursive: true);

    [TestMethod]
    public async Task Trace_logs_the_hosts_operations_and_Debug_each_store_request()
    {
        var store = Directory.CreateDirectory(Path.Combine(_root, "store")).FullName;
        var log = Path.Combine(_root, "mount.log");
        await using (var mount = await MountProcess.StartAsync("file://" + store, Path.Combine(_root, "mnt"), Path.Combine(_root, "cache"),
            "--log-level", "Trace", "--log-file", log, "--write-back-delay", "0"))
        {
            await File.WriteAllTextAsync(Path.Combine(mount.MountPoint, "hello.txt"), "hello", TestContext.CancellationToken);
            await mount.UnmountAsync();
        }

        var lines = await File.ReadAllLinesAsync(log, TestContext.CancellationToken);
        var text = string.Join('\n', lines);
        Assert.IsTrue(lines.Any(l => l.Contains(" TRAC BucketMount.Fuse: create '/hello.txt' -> 0", StringComparison.Ordinal)), text);
        Assert.IsTrue(lines.Any(l => l.Contains(" TRAC BucketMount.Fuse: write '/hello.txt' -> 5", StringComparison.Ordinal)), text);
        Assert.IsTrue(lines.Any(l => System.Text.RegularExpressions.Regex.IsMatch(l, @" DEBU BucketMount\.Store: (PUT|UPLOAD) 'hello\.txt' ok 5 bytes \d+ ms try 1$")), text);
    }

    [TestMethod]
    public void A_log_file_rotates_past_its_size_and_keeps_three_old_ones()
    {
        var log = Path.Combine(_root, "rotating.log");
        using (var provider = new SimpleLoggerProvider(LogLevel.Information, log, maxFileBytes: 1024))
        {
            var logger = provider.CreateLogger("test");
            for (var i = 0; i < 200; i++)
            {
                logger.LogInformation("line {Number} of a long-running mount's log, padded to some length", i);
            }
        }

        Assert.IsTrue(File.Exists(log + ".1") && File.Exists(log + ".2") && File.Exists(log + ".3"), "three old files");
        Assert.IsFalse(File.Exists(log + ".4"), "no fourth");
        foreach (var file in new[] { log, log + ".1", log + ".2", log + ".3" })
        {
            Assert.IsTrue(new FileInfo(file).Length < 1024 + 200, $"{file} is {new FileInfo(file).Length} bytes");
        }

        StringAssert.Contains(File.ReadAllText(log), "line 199 ");
    }

    [TestMethod]
    public async Task A_background_mounts_log_rotates_too()
    {
        var store = Directory.CreateDirectory(Path.Combine(_root, "store")).FullName;
        var mountPoint = Directory.CreateDirectory(Path.Combine(_root, "mnt")).FullName;
        var runtime = Directory.CreateDirectory(Path.Combine(_root, "run")).FullName;
        void OwnRuntimeFolder(System.Diagnostics.ProcessStartInfo info) => info.Environment["XDG_RUNTIME_DIR"] = runtime;

        var (code, output) = await Cli.RunAsync(["mount", "file://" + store, mountPoint, "--daemon", "--cache-dir", Path.Combine(_root, "cache"),
            "--log-level", "Trace", "--log-file-max-mib", "1"], OwnRuntimeFolder);
        Assert.AreEqual(0, code, output);
        var log = System.Text.RegularExpressions.Regex.Match(output, @"log: (\S+\.log)\)").Groups[1].Value;
        try
        {
            // Each unbuffered one-byte write is one traced FUSE operation: 20,000 of them log well past 1 MiB.
            await Shell.MustAsync($"python3 -c \"import os\nf = os.open('{mountPoint}/many-writes', os.O_WRONLY | os.O_CREAT)\nfor _ in range(20000): os.write(f, b'x')\nos.close(f)\"",
                timeout: TimeSpan.FromMinutes(5));
        }
        finally
        {
            var unmount = await Cli.RunAsync(["unmount", mountPoint], OwnRuntimeFolder);
            Assert.AreEqual(0, unmount.Code, unmount.Output);
        }

        Assert.IsTrue(File.Exists(log + ".1"), $"the background mount's log {log} rotated");
        Assert.IsLessThan((1L << 20) + (64 * 1024), new FileInfo(log).Length, "the current log stays near its limit");
        StringAssert.Contains(await File.ReadAllTextAsync(log + ".1", TestContext.CancellationToken), "write '/many-writes'");
    }

    [TestMethod]
    public void The_progress_line_moves_while_a_large_file_uploads_part_by_part_and_shows_an_ETA()
    {
        var lines = new List<string>();
        long storeBytes = 0;
        var now = TimeSpan.Zero;
        var progress = new UnmountProgressLine(TextWriter.Null, lines.Add, () => storeBytes, () => now);
        const long Gib = 1L << 30;

        // One 1 GiB file pending for the whole time; no file completes, but its parts reach the store.
        progress.Report(Drain(pending: Gib));
        now = TimeSpan.FromSeconds(4);
        storeBytes = 400_000_000;
        progress.Report(Drain(pending: Gib));

        StringAssert.Contains(lines[^1], "1 file(s), 1073.7 MB left; 0 uploaded; 100.0 MB/s");
        StringAssert.Contains(lines[^1], "about 7 s left");
    }

    private static DrainProgress Drain(long pending) => new(new UploadProgress(1, pending, 0, 0), []);
}
