using System.Diagnostics;
using System.Text.RegularExpressions;
using Amazon.S3;
using Amazon.S3.Model;
using BucketMount.TestSupport;

namespace BucketMount.Mount.Tests;

/// <summary>
/// A mount killed (SIGKILL, as when a sandbox is destroyed) while a large file was being sent in parts leaves an
/// unfinished multipart upload in the bucket; the next mount of the same cache discards it. On fauxqs, which
/// implements abort (s3rver does not).
/// </summary>
[TestClass]
public sealed partial class KilledMountTests
{
    private string _root = null!;

    public TestContext TestContext { get; set; } = null!;

    private string MountPoint => Path.Combine(_root, "mnt");

    private string Cache => Path.Combine(_root, "cache");

    [TestInitialize]
    public void CreateRoot() => _root = Directory.CreateTempSubdirectory("bucketmount-killed-").FullName;

    [TestCleanup]
    public void DeleteRoot() => Directory.Delete(_root, recursive: true);

    [TestMethod]
    public async Task The_parts_of_a_file_being_written_when_the_mount_was_killed_are_discarded_by_the_next_mount()
    {
        var token = TestContext.CancellationTokenSource.Token;
        var emulator = await Emulators.Fauxqs;
        var bucket = await S3Buckets.CreateBucketAsync(emulator, token);
        var remote = $"s3://{bucket}/work?endpoint={emulator.Endpoint}&path_style&conditional_writes=false";

        string uploadId;
        await using (var mount = await MountProcess.StartAsync(remote, MountPoint, Cache))
        {
            // 24 MiB written and the file kept open: its parts go while it is written (the stream begins at 16 MiB).
            using var writer = Process.Start(new ProcessStartInfo("bash", ["-c", $"exec 3>'{MountPoint}/big.bin'; head -c 25165824 /dev/urandom >&3; sleep 120"])
                { UseShellExecute = false })!;
            try
            {
                uploadId = await WaitForRecordedUploadAsync(token);
                await mount.KillAsync();
            }
            finally
            {
                writer.Kill(entireProcessTree: true);
                await writer.WaitForExitAsync(token);
            }
        }

        using var s3 = S3Buckets.AdminClient(emulator);
        var before = await s3.UploadPartAsync(Part(bucket, uploadId), token);
        Assert.IsFalse(string.IsNullOrEmpty(before.ETag), "the killed mount left its upload open");

        await using (var again = await MountProcess.StartAsync(remote, MountPoint, Cache))
        {
            // The discard runs in the background after the mount is up: bounded (60 s), not timed.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (await DiscardedAsync() == 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, token);
            }

            Assert.AreEqual(1, await DiscardedAsync(), "the next mount discarded the upload the kill left");
            StringAssert.Contains(await Shell.MustAsync($"{Cli.Shell} status '{MountPoint}'"), "the parts of 1 upload(s) a crash interrupted were discarded");
            await again.UnmountAsync();
        }

        var error = await Assert.ThrowsExactlyAsync<AmazonS3Exception>(() => s3.UploadPartAsync(Part(bucket, uploadId), token));
        Assert.AreEqual("NoSuchUpload", error.ErrorCode, error.Message);
        Assert.AreEqual(0, new DirectoryInfo(Path.Combine(Cache, "journal")).GetFiles().Sum(f => f.Length), "nothing left in the journal");
    }

    private static UploadPartRequest Part(string bucket, string uploadId) => new()
    {
        BucketName = bucket,
        Key = "work/big.bin",
        UploadId = uploadId,
        PartNumber = 9,
        InputStream = new MemoryStream(new byte[16]),
    };

    /// <summary>The upload id the mount recorded in its journal before sending the first part.</summary>
    private async Task<string> WaitForRecordedUploadAsync(CancellationToken token)
    {
        for (var i = 0; i < 300; i++)
        {
            foreach (var segment in Directory.Exists(Path.Combine(Cache, "journal")) ? Directory.GetFiles(Path.Combine(Cache, "journal"), "*.log") : [])
            {
                if (UploadIdPattern().Match(await File.ReadAllTextAsync(segment, token)) is { Success: true } found)
                {
                    return found.Groups[1].Value;
                }
            }

            await Task.Delay(100, token);
        }

        Assert.Fail("no upload in parts was recorded within 30 s");
        return "";
    }

    private async Task<long> DiscardedAsync()
    {
        using var json = System.Text.Json.JsonDocument.Parse(await Shell.MustAsync($"{Cli.Shell} status '{MountPoint}' --json"));
        return json.RootElement[0].GetProperty("statistics").GetProperty("LeftoverUploadsDiscarded").GetInt64();
    }

    [GeneratedRegex("\"uploadId\":\"([^\"]+)\"")]
    private static partial Regex UploadIdPattern();
}
