using System.Diagnostics;
using BucketMount.TestSupport;

namespace BucketMount.Mount.Tests;

/// <summary>
/// The edges of a sandbox's life, through a real FUSE mount of the CLI: unmount or SIGTERM with a shell still inside
/// and with a program still writing, a forced unmount, Ctrl+C twice, a crashed mount, a second mount on the same
/// directory, a background mount that cannot start. What matters in each: nothing is reported as stored that is not,
/// and nothing unfinished is stored as if complete. Subclasses choose the store.
/// </summary>
public abstract class LifecycleTests
{
    private readonly List<Process> _helpers = [];
    private string _root = null!;

    public TestContext TestContext { get; set; } = null!;

    protected string MountPoint => Path.Combine(_root, "mnt");

    protected string Cache => Path.Combine(_root, "cache");

    protected string Flags => Path.Combine(_root, "flags");

    /// <summary>A remote for a fresh, empty bucket.</summary>
    protected abstract Task<string> CreateRemoteAsync(string root);

    [TestInitialize]
    public void CreateFolders()
    {
        _root = Directory.CreateTempSubdirectory("bucketmount-life-").FullName;
        Directory.CreateDirectory(Flags);
    }

    [TestCleanup]
    public async Task StopHelpersAndDeleteFolders()
    {
        foreach (var helper in _helpers)
        {
            if (!helper.HasExited)
            {
                helper.Kill(entireProcessTree: true);
                await helper.WaitForExitAsync();
            }

            helper.Dispose();
        }

        await Shell.RunAsync($"fusermount3 -u -z '{MountPoint}' 2>/dev/null; rm -rf '{_root}'");
    }

    [TestMethod]
    public async Task Unmount_with_a_shell_inside_stores_everything_names_the_shell_and_serves_it_until_it_leaves()
    {
        var remote = await CreateRemoteAsync(_root);
        await using var mount = await MountProcess.StartAsync(remote, MountPoint, Cache);
        await Shell.MustAsync($"cd '{MountPoint}' && echo first > a.txt && mkdir sub && echo second > sub/b.txt");

        // A shell sitting in the mount, as a user's is; when told, it writes one more file there and leaves.
        var shell = StartHelper($"cd '{MountPoint}' && {WaitForFlag("leave")} && echo late > late.txt");

        var (code, output, error) = await Shell.RunAsync($"{Cli.Shell} unmount '{MountPoint}'", timeout: TimeSpan.FromMinutes(2));
        Assert.AreEqual(0, code, error + output);
        StringAssert.Contains(output, "Every change is in the store");
        StringAssert.Contains(output, $"pid {shell.Id}", "the unmount names the program still inside");
        Assert.IsFalse(MountProcess.IsMounted(MountPoint), "the mount point is detached");
        Assert.AreEqual("first\n", await CatAsync(remote, "a.txt"));
        Assert.AreEqual("second\n", await CatAsync(remote, "sub/b.txt"));
        Assert.IsFalse(mount.HasExited, "the mount keeps serving the shell still inside");

        await File.WriteAllTextAsync(Path.Combine(Flags, "leave"), "");
        await shell.WaitForExitAsync(TestContext.CancellationTokenSource.Token);
        Assert.AreEqual(0, shell.ExitCode, "the shell inside kept working after the detach");
        var (exit, errors) = await mount.ExitAsync(TimeSpan.FromMinutes(2));
        Assert.AreEqual(0, exit, errors);
        StringAssert.Contains(errors, "The last program left");
        Assert.AreEqual("late\n", await CatAsync(remote, "late.txt"), "what the shell wrote after the detach is stored too");
    }

    [TestMethod]
    public async Task Sigterm_with_a_shell_inside_uploads_at_once_and_exits_when_the_shell_leaves()
    {
        var remote = await CreateRemoteAsync(_root);
        await using var mount = await MountProcess.StartAsync(remote, MountPoint, Cache, "--write-back-delay", "3600");
        await Shell.MustAsync($"cd '{MountPoint}' && echo kept > kept.txt");
        var shell = StartHelper($"cd '{MountPoint}' && {WaitForFlag("leave")}");

        await Shell.MustAsync($"kill -TERM {mount.Pid}");
        await mount.WaitForErrorOutputAsync("still use it", TimeSpan.FromMinutes(2));
        Assert.AreEqual("kept\n", await CatAsync(remote, "kept.txt"), "SIGTERM uploads at once, not after the write-back delay");
        Assert.IsFalse(mount.HasExited);

        await File.WriteAllTextAsync(Path.Combine(Flags, "leave"), "");
        var (exit, errors) = await mount.ExitAsync(TimeSpan.FromMinutes(2));
        Assert.AreEqual(0, exit, errors);
        Assert.IsFalse(MountProcess.IsMounted(MountPoint));
    }

    [TestMethod]
    public async Task Unmount_while_a_program_writes_waits_for_its_close_and_stores_the_whole_file()
    {
        var remote = await CreateRemoteAsync(_root);
        await using var mount = await MountProcess.StartAsync(remote, MountPoint, Cache);

        // 8 MiB written, then the writer waits for a flag before writing 24 MiB more and closing.
        var writer = StartWriter("big.bin", before: 8, after: 24);
        await WaitForFlagFileAsync("written");

        var unmount = Shell.RunAsync($"{Cli.Shell} unmount '{MountPoint}'", timeout: TimeSpan.FromMinutes(3));
        await mount.WaitForErrorOutputAsync("still being written to be closed: /big.bin", TimeSpan.FromMinutes(2));
        Assert.IsFalse(unmount.IsCompleted, "unmount waits while the file is being written");

        // An impatient second `unmount` waits along with the first; only --force gives up on the writer.
        var again = Shell.RunAsync($"{Cli.Shell} unmount '{MountPoint}'", timeout: TimeSpan.FromMinutes(3));
        Assert.IsTrue(MountProcess.IsMounted(MountPoint), "still mounted while the writer works");

        await File.WriteAllTextAsync(Path.Combine(Flags, "finish"), "");
        await writer.WaitForExitAsync(TestContext.CancellationTokenSource.Token);
        Assert.AreEqual(0, writer.ExitCode, "the writer finished without an error");
        var (code, output, error) = await unmount;
        Assert.AreEqual(0, code, error + output);
        StringAssert.Contains(output, "every change is in the store");

        // Into a pipe or a file the relayed progress is whole lines, each written only when it changed: it was
        // rewritten in place with '\r' several times a second, which a log keeps as a run of identical copies.
        StringAssert.Contains(error, "still being written to be closed: /big.bin", "the unmount command shows what it waits for");
        Assert.IsFalse(error.Contains('\r', StringComparison.Ordinal), "no carriage returns when the output is not a terminal:\n" + error);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.IsFalse(lines.Zip(lines.Skip(1)).Any(pair => pair.First == pair.Second), "no line repeats the one before it:\n" + error);
        var second = await again;
        Assert.AreEqual(0, second.ExitCode, second.Error + second.Output);
        Assert.AreEqual(ExpectedSha(8, 24), await StoredShaAsync(remote, "big.bin"), "the whole file is stored");
        Assert.AreEqual(0, (await mount.ExitAsync(TimeSpan.FromMinutes(1))).Code);
    }

    [TestMethod]
    public async Task A_forced_unmount_says_what_it_leaves_behind_and_the_next_mount_of_the_cache_uploads_the_closed_file()
    {
        var remote = await CreateRemoteAsync(_root);
        await using (var mount = await MountProcess.StartAsync(remote, MountPoint, Cache, "--write-back-delay", "3600"))
        {
            await Shell.MustAsync($"echo closed > '{MountPoint}/closed.txt'");
            var writer = StartWriter("open.bin", before: 1, after: 1);
            await WaitForFlagFileAsync("written");

            var (code, output, error) = await Shell.RunAsync($"{Cli.Shell} unmount --force '{MountPoint}'", timeout: TimeSpan.FromMinutes(2));
            Assert.AreEqual(1, code, "a forced unmount that left changes behind does not exit 0:\n" + error + output);
            StringAssert.Contains(output, "NOT in the store: 1 closed file(s)");
            StringAssert.Contains(output, "/closed.txt");
            StringAssert.Contains(output, Cache);
            StringAssert.Contains(output, "Lost: the unfinished changes of 1 file(s) still open for writing: /open.bin");
            Assert.IsFalse(output.Contains("every change is in the store", StringComparison.Ordinal), output);
            await mount.ExitAsync(TimeSpan.FromMinutes(1));
            writer.Kill(entireProcessTree: true);
        }

        Assert.IsNull(await TryCatAsync(remote, "closed.txt"), "the forced unmount uploaded nothing");
        Assert.IsNull(await TryCatAsync(remote, "open.bin"), "an unfinished file is never stored as if complete");

        await using var again = await MountProcess.StartAsync(remote, MountPoint, Cache);
        await again.UnmountAsync();
        Assert.AreEqual("closed\n", await CatAsync(remote, "closed.txt"), "the journal kept the closed file for the next mount");
        Assert.IsNull(await TryCatAsync(remote, "open.bin"));
    }

    [TestMethod]
    public async Task Ctrl_c_twice_stops_waiting_for_a_writer_and_says_the_unfinished_file_is_lost()
    {
        var remote = await CreateRemoteAsync(_root);
        await using var mount = await MountProcess.StartAsync(remote, MountPoint, Cache);
        await Shell.MustAsync($"echo done > '{MountPoint}/done.txt'");
        var writer = StartWriter("slow.bin", before: 1, after: 1);
        await WaitForFlagFileAsync("written");

        await Shell.MustAsync($"kill -INT {mount.Pid}");
        await mount.WaitForErrorOutputAsync("still being written to be closed: /slow.bin", TimeSpan.FromMinutes(2));
        Assert.AreEqual("done\n", await WaitForStoredAsync(remote, "done.txt"), "the first Ctrl+C uploads what is closed while it waits");
        await Shell.MustAsync($"kill -INT {mount.Pid}");

        var (exit, errors) = await mount.ExitAsync(TimeSpan.FromMinutes(1));
        Assert.AreEqual(1, exit, errors);
        StringAssert.Contains(errors, "Lost: the unfinished changes of 1 file(s) still open for writing: /slow.bin");
        Assert.IsNull(await TryCatAsync(remote, "slow.bin"));
        writer.Kill(entireProcessTree: true);
    }

    [TestMethod]
    public async Task A_killed_mount_shows_as_stale_and_the_next_mount_detaches_it_and_uploads_its_journal()
    {
        var remote = await CreateRemoteAsync(_root);
        var mount = await MountProcess.StartAsync(remote, MountPoint, Cache, "--write-back-delay", "3600");
        await Shell.MustAsync($"echo journaled > '{MountPoint}/j.txt'");
        await Shell.MustAsync($"kill -KILL {mount.Pid}");
        await mount.ExitAsync(TimeSpan.FromMinutes(1));

        var dead = await Shell.RunAsync($"ls '{MountPoint}'");
        StringAssert.Contains(dead.Error, "Transport endpoint is not connected", "the killed mount leaves a dead directory");
        var status = await Shell.RunAsync($"{Cli.Shell} status '{MountPoint}'");
        StringAssert.Contains(status.Error, $"Stale mount: {MountPoint}");

        // `unmount` of the dead mount detaches it too (it said "no running mount" and left it dead), and says the
        // journal is not in the store yet: exit 1.
        var unmount = await Shell.RunAsync($"{Cli.Shell} unmount '{MountPoint}'");
        Assert.AreEqual(1, unmount.ExitCode, unmount.Error + unmount.Output);
        StringAssert.Contains(unmount.Error, "had no process any more");
        StringAssert.Contains(unmount.Error, "detached it");
        StringAssert.Contains(unmount.Error, "journal", "it says where what is not in the store waits");
        Assert.IsFalse(MountProcess.IsMounted(MountPoint), "detached");

        await using var again = await MountProcess.StartAsync(remote, MountPoint, Cache);
        StringAssert.Contains(await Shell.MustAsync($"cat '{MountPoint}/j.txt'"), "journaled");
        await again.UnmountAsync();
        Assert.AreEqual("journaled\n", await CatAsync(remote, "j.txt"));
    }

    [TestMethod]
    public async Task A_second_mount_on_a_live_mount_point_is_refused_naming_the_first()
    {
        var remote = await CreateRemoteAsync(_root);
        await using var mount = await MountProcess.StartAsync(remote, MountPoint, Cache);
        var other = "file://" + Directory.CreateDirectory(Path.Combine(_root, "other")).FullName;

        foreach (var daemon in new[] { "", "--daemon" })
        {
            var (code, output, error) = await Shell.RunAsync($"{Cli.Shell} mount '{other}' '{MountPoint}' --cache-dir '{Cache}2' {daemon}", timeout: TimeSpan.FromMinutes(2));
            Assert.AreEqual(2, code, error + output);
            StringAssert.Contains(error, $"already mounted by bucketmount (pid {mount.Pid})");
        }

        await Shell.MustAsync($"echo still > '{MountPoint}/x.txt'");
        await mount.UnmountAsync();
        Assert.AreEqual("still\n", await CatAsync(remote, "x.txt"), "the first mount was not disturbed");
    }

    [TestMethod]
    public async Task A_background_mount_that_cannot_start_reports_its_own_message_and_exit_code()
    {
        var remote = await CreateRemoteAsync(_root);
        Directory.CreateDirectory(MountPoint);
        await File.WriteAllTextAsync(Path.Combine(MountPoint, "occupied"), "");

        var (code, output, error) = await Shell.RunAsync($"{Cli.Shell} mount '{remote}' '{MountPoint}' --cache-dir '{Cache}' --daemon", timeout: TimeSpan.FromMinutes(2));
        Assert.AreEqual(2, code, error + output);
        StringAssert.Contains(error, "is not empty", "the background mount's own message reaches the user");
        StringAssert.Contains(error, "exited with code 2");
    }

    private Process StartHelper(string script)
    {
        var info = new ProcessStartInfo("bash") { UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        var process = Process.Start(info) ?? throw new InvalidOperationException("bash did not start");
        _helpers.Add(process);
        return process;
    }

    /// <summary>
    /// A program that writes <paramref name="before"/> MiB of a known pattern to a new file in the mount, signals
    /// `written`, waits (bounded) for `finish`, writes <paramref name="after"/> MiB more and closes it.
    /// </summary>
    private Process StartWriter(string name, int before, int after)
    {
        var script = $$"""
            import os, time
            def chunk(i): return bytes([i % 251]) * 1048576
            f = open('{{MountPoint}}/{{name}}', 'wb')
            for i in range({{before}}): f.write(chunk(i))
            f.flush()
            open('{{Flags}}/written', 'w').close()
            for _ in range(1200):
                if os.path.exists('{{Flags}}/finish'): break
                time.sleep(0.1)
            for i in range({{before}}, {{before + after}}): f.write(chunk(i))
            f.close()
            """;
        return StartHelper($"exec python3 -c \"$(cat <<'EOF'\n{script}\nEOF\n)\"");
    }

    private static string ExpectedSha(int before, int after)
    {
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        for (var i = 0; i < before + after; i++)
        {
            var chunk = new byte[1048576];
            Array.Fill(chunk, (byte)(i % 251));
            sha.AppendData(chunk);
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private string WaitForFlag(string flag) =>
        $"for i in $(seq 1200); do [ -e '{Flags}/{flag}' ] && break; sleep 0.1; done";

    private async Task WaitForFlagFileAsync(string flag)
    {
        for (var i = 0; i < 1200 && !File.Exists(Path.Combine(Flags, flag)); i++)
        {
            await Task.Delay(100);
        }

        Assert.IsTrue(File.Exists(Path.Combine(Flags, flag)), $"the helper did not reach '{flag}' within 120 s");
    }

    /// <summary>
    /// Waits (bounded) for an object the mount is uploading right now: its progress line can name what it waits for
    /// before the upload it started at the same moment has landed.
    /// </summary>
    private static async Task<string> WaitForStoredAsync(string remote, string key)
    {
        for (var i = 0; i < 600; i++)
        {
            if (await TryCatAsync(remote, key) is { } stored)
            {
                return stored;
            }

            await Task.Delay(100);
        }

        throw new AssertFailedException($"'{key}' did not reach the store within 60 s");
    }

    private static async Task<string> CatAsync(string remote, string key) =>
        await TryCatAsync(remote, key) ?? throw new AssertFailedException($"'{key}' is not in the store");

    private static async Task<string?> TryCatAsync(string remote, string key)
    {
        var (code, output, _) = await Shell.RunAsync($"{Cli.Shell} cat '{remote}' '{key}'");
        return code == 0 ? output : null;
    }

    private static async Task<string> StoredShaAsync(string remote, string key) =>
        (await Shell.MustAsync($"{Cli.Shell} cat '{remote}' '{key}' | sha256sum")).Split(' ')[0];
}

[TestClass]
public sealed class LocalStoreLifecycleTests : LifecycleTests
{
    protected override Task<string> CreateRemoteAsync(string root) =>
        Task.FromResult("file://" + Directory.CreateDirectory(Path.Combine(root, "store")).FullName);
}

[TestClass]
public sealed class S3rverLifecycleTests : LifecycleTests
{
    protected override async Task<string> CreateRemoteAsync(string root)
    {
        var emulator = await Emulators.S3rver;
        var bucket = await S3Buckets.CreateBucketAsync(emulator, CancellationToken.None);
        return $"s3://{bucket}/work?endpoint={emulator.Endpoint}&path_style&list_version=1&conditional_writes=false&conditional_reads=false&batch_delete=false";
    }
}
