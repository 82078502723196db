using System.Diagnostics;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using BucketMount.TestSupport;

namespace BucketMount.Mount.Tests;

/// <summary>
/// The store really goes away under a mount: s3rver behind a loopback proxy the test cuts (connection refused) or
/// makes hang (connections accepted, nothing answered). Verdicts wait for conditions with generous bounds.
/// </summary>
[TestClass]
public sealed class StoreOutageMountTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private string _root = null!;

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    private string MountPoint => Path.Combine(_root, "mnt");

    private string Cache => Path.Combine(_root, "cache");

    [TestInitialize]
    public void CreateRoot() => _root = Directory.CreateTempSubdirectory("bucketmount-outage-").FullName;

    [TestCleanup]
    public void DeleteRoot() => Directory.Delete(_root, recursive: true);

    private static string Remote(string bucket, SwitchableTcpProxy proxy) =>
        $"s3://{bucket}?endpoint=http://127.0.0.1:{proxy.Port}&path_style&list_version=1&conditional_writes=false&conditional_reads=false&batch_delete=false";

    private static async Task<bool> ExistsAsync(AmazonS3Client s3, string bucket, string key, CancellationToken cancellationToken)
    {
        try
        {
            await s3.GetObjectMetadataAsync(bucket, key, cancellationToken);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    [TestMethod]
    public async Task While_the_store_is_away_ls_and_creating_files_work_and_the_files_reach_it_when_it_returns()
    {
        var emulator = await Emulators.S3rver;
        var bucket = await S3Buckets.CreateBucketAsync(emulator, Token);
        using var s3 = S3Buckets.AdminClient(emulator);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "seed.txt", ContentBody = "seed" }, Token);
        await using var proxy = SwitchableTcpProxy.Start(emulator.Port);

        // Listings are trusted for one second only: every ls below the cut has to be answered without the store.
        await using var mount = await MountProcess.StartAsync(Remote(bucket, proxy), MountPoint, Cache, "--metadata-ttl", "1");
        StringAssert.Contains(await Shell.MustAsync($"ls '{MountPoint}'"), "seed.txt");

        await proxy.RefuseAsync();
        await Task.Delay(TimeSpan.FromSeconds(2.5), Token); // Past the metadata and kernel attribute TTLs (a lower bound only).

        StringAssert.Contains(await Shell.MustAsync($"ls '{MountPoint}'", timeout: Bound), "seed.txt");
        await Shell.MustAsync($"touch '{MountPoint}/touched' && echo during-the-outage > '{MountPoint}/new.txt'", timeout: Bound);
        Assert.AreEqual("during-the-outage\n", await Shell.MustAsync($"cat '{MountPoint}/new.txt'", timeout: Bound));
        var listed = await Shell.MustAsync($"ls '{MountPoint}'", timeout: Bound);
        StringAssert.Contains(listed, "new.txt");
        StringAssert.Contains(listed, "touched");
        Assert.IsFalse(await ExistsAsync(s3, bucket, "new.txt", Token), "the store was away: nothing reached it");

        proxy.Resume();
        var returned = Stopwatch.StartNew();
        var deadline = DateTime.UtcNow + Bound;
        while (!(await ExistsAsync(s3, bucket, "new.txt", Token) && await ExistsAsync(s3, bucket, "touched", Token)))
        {
            Assert.IsTrue(DateTime.UtcNow < deadline, $"the files written during the outage did not reach the store within {Bound.TotalSeconds} s of its return");
            await Task.Delay(100, Token);
        }

        TestContext.WriteLine($"uploaded {returned.Elapsed.TotalSeconds:0.0} s after the store returned"); // A figure, not a verdict.

        await mount.UnmountAsync();
    }

    [TestMethod]
    public async Task A_change_closed_while_the_store_is_away_fails_its_close_and_reaches_the_store_when_it_returns()
    {
        var emulator = await Emulators.S3rver;
        var bucket = await S3Buckets.CreateBucketAsync(emulator, Token);
        using var s3 = S3Buckets.AdminClient(emulator);
        var original = new byte[3 * 1024 * 1024];
        new Random(5).NextBytes(original);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "big.bin", InputStream = new MemoryStream(original), UseChunkEncoding = false }, Token);
        CollectionAssert.AreEqual(original, await StoredAsync(s3, bucket, "big.bin", Token), "the store holds the seed as sent");
        await using var proxy = SwitchableTcpProxy.Start(emulator.Port);
        await using var mount = await MountProcess.StartAsync(Remote(bucket, proxy), MountPoint, Cache);
        StringAssert.Contains(await Shell.MustAsync($"ls -l '{MountPoint}'"), "big.bin");

        // Five bytes over the start of the file: the rest is only in the store, which close cannot reach.
        await proxy.RefuseAsync();
        var (code, _, error) = await Shell.RunAsync($"printf HELLO | dd of='{MountPoint}/big.bin' conv=notrunc bs=5 count=1 status=none", timeout: Bound);
        Assert.AreNotEqual(0, code, "close reported that the change is not yet safe");
        StringAssert.Contains(error, "Input/output error");

        // The kernel sends the release after close returned; the store stays away until the mount has tried to
        // upload the file (which the release must schedule) and failed. Without the fix no upload was ever tried.
        var failing = DateTime.UtcNow + Bound;
        while (await UploadFailuresAsync() == 0)
        {
            Assert.IsTrue(DateTime.UtcNow < failing, $"no upload of the closed file was tried within {Bound.TotalSeconds} s:\n{mount.ErrorsSoFar}");
            await Task.Delay(100, Token);
        }

        // No fsync, no unmount: the mount keeps retrying by itself once the store answers.
        proxy.Resume();
        var expected = original.ToArray();
        "HELLO"u8.CopyTo(expected);
        var deadline = DateTime.UtcNow + Bound;
        byte[] stored;
        while (!(stored = await StoredAsync(s3, bucket, "big.bin", Token)).AsSpan().SequenceEqual(expected))
        {
            Assert.IsTrue(DateTime.UtcNow < deadline, $"the change did not reach the store within {Bound.TotalSeconds} s of its return (it holds {stored.Length:N0} bytes starting '{System.Text.Encoding.ASCII.GetString(stored, 0, Math.Min(5, stored.Length))}'):\n{mount.ErrorsSoFar}");
            await Task.Delay(100, Token);
        }

        await mount.UnmountAsync();
    }

    private async Task<long> UploadFailuresAsync()
    {
        using var json = System.Text.Json.JsonDocument.Parse(await Shell.MustAsync($"{Cli.Shell} status '{MountPoint}' --json", timeout: Bound));
        return json.RootElement[0].GetProperty("statistics").GetProperty("UploadFailures").GetInt64();
    }

    /// <summary>
    /// The object's bytes; empty when the read met the mount's upload overwriting it (s3rver rewrites the file in
    /// place, so a GET during that PUT gets a torn or short body): the callers poll again.
    /// </summary>
    private static async Task<byte[]> StoredAsync(AmazonS3Client s3, string bucket, string key, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await s3.GetObjectAsync(bucket, key, cancellationToken);
            using var copy = new MemoryStream();
            await response.ResponseStream.CopyToAsync(copy, cancellationToken);
            return copy.ToArray();
        }
        catch (Exception e) when (e is IOException || (e is AmazonClientException && e.Message.Contains("hash", StringComparison.OrdinalIgnoreCase)))
        {
            // Torn: a checksum refused, or the body ended early (the file shrank under the read).
            return [];
        }
    }

    [TestMethod]
    public async Task A_reader_killed_while_the_store_never_answers_goes_away()
    {
        var emulator = await Emulators.S3rver;
        var bucket = await S3Buckets.CreateBucketAsync(emulator, Token);
        using var s3 = S3Buckets.AdminClient(emulator);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "sub/inner.txt", ContentBody = "inner" }, Token);
        await using var proxy = SwitchableTcpProxy.Start(emulator.Port);
        await using var mount = await MountProcess.StartAsync(Remote(bucket, proxy), MountPoint, Cache);

        // The mount knows nothing of sub/ yet: opening a file there needs lookups the kernel waits for, and a
        // killed process waits for the answer in uninterruptible sleep (a page read would not hold it: that wait is killable).
        proxy.Hang();
        using var reader = Process.Start(new ProcessStartInfo("bash", ["-c", $"exec cat '{MountPoint}/sub/inner.txt' > /dev/null"]) { UseShellExecute = false })!;
        try
        {
            var deadline = DateTime.UtcNow + Bound;
            while (proxy.HeldChunks == 0)
            {
                Assert.IsTrue(DateTime.UtcNow < deadline, "the lookup never reached the store");
                await Task.Delay(50, Token);
            }

            reader.Kill();
            using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await reader.WaitForExitAsync(exited.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"the killed reader still waits for the mount 30 s later (state {State(reader.Id)}): the request was not interrupted");
            }
        }
        finally
        {
            proxy.Answer();
            if (!reader.HasExited)
            {
                reader.Kill();
                await reader.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(6), CancellationToken.None);
            }
        }

        await mount.UnmountAsync();
    }

    private static string State(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2];
        }
        catch (IOException)
        {
            return "gone";
        }
    }

    [TestMethod]
    public async Task Unmount_during_an_outage_keeps_retrying_says_the_store_is_unreachable_and_finishes_when_it_returns()
    {
        var emulator = await Emulators.S3rver;
        var bucket = await S3Buckets.CreateBucketAsync(emulator, Token);
        using var s3 = S3Buckets.AdminClient(emulator);
        await using var proxy = SwitchableTcpProxy.Start(emulator.Port);
        await using var mount = await MountProcess.StartAsync(Remote(bucket, proxy), MountPoint, Cache, "--write-back-delay", "3600");
        await Shell.MustAsync($"echo waited-for > '{MountPoint}/late.txt'");

        await proxy.RefuseAsync();
        var unmount = Shell.RunAsync($"{Cli.Shell} unmount '{MountPoint}'", timeout: TimeSpan.FromMinutes(3));
        await mount.WaitForErrorOutputAsync("the store is unreachable", Bound);
        Assert.IsFalse(unmount.IsCompleted, "unmount keeps waiting while the store is away");
        Assert.IsFalse(await ExistsAsync(s3, bucket, "late.txt", Token));

        proxy.Resume();
        var (code, output, error) = await unmount;
        Assert.AreEqual(0, code, error + output);
        StringAssert.Contains(output, "every change is in the store");
        Assert.IsTrue(await ExistsAsync(s3, bucket, "late.txt", Token), "the file reached the store once it answered");
        Assert.AreEqual(0, (await mount.ExitAsync(Bound)).Code);
    }

    [TestMethod]
    public async Task Ctrl_c_twice_during_an_outage_says_exactly_what_stays_in_the_journal()
    {
        var emulator = await Emulators.S3rver;
        var bucket = await S3Buckets.CreateBucketAsync(emulator, Token);
        using var s3 = S3Buckets.AdminClient(emulator);
        await using var proxy = SwitchableTcpProxy.Start(emulator.Port);
        await using var mount = await MountProcess.StartAsync(Remote(bucket, proxy), MountPoint, Cache, "--write-back-delay", "3600");
        await Shell.MustAsync($"echo stranded > '{MountPoint}/stranded.txt'");

        await proxy.RefuseAsync();
        await Shell.MustAsync($"kill -INT {mount.Pid}");
        await mount.WaitForErrorOutputAsync("the store is unreachable", Bound);
        await Shell.MustAsync($"kill -INT {mount.Pid}");
        var (code, errors) = await mount.ExitAsync(Bound);

        Assert.AreEqual(1, code, errors);
        StringAssert.Contains(errors, "NOT in the store: 1 closed file(s)");
        StringAssert.Contains(errors, "/stranded.txt");
        StringAssert.Contains(errors, Cache);
        proxy.Resume();
        Assert.IsFalse(await ExistsAsync(s3, bucket, "stranded.txt", Token));
    }
}
