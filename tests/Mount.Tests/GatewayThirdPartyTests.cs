using System.Diagnostics;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using BucketMount.TestSupport;

namespace BucketMount.Mount.Tests;

/// <summary>Third-party S3 clients work through `bucketmount gateway` with only a grant's keys.</summary>
[TestClass]
public sealed class GatewayThirdPartyTests
{
    private string _root = null!;

    public TestContext TestContext { get; set; } = null!;

    [TestInitialize]
    public void CreateFolders() => _root = Directory.CreateTempSubdirectory("bm-gw3-").FullName;

    [TestCleanup]
    public void DeleteFolders() => Directory.Delete(_root, recursive: true);

    [TestMethod]
    public async Task Rclone_uploads_multipart_lists_reads_and_deletes_under_the_grant_and_cannot_list_above_it()
    {
        var s3rver = await Emulators.S3rver;
        var bucket = await S3Buckets.CreateBucketAsync(s3rver, TestContext.CancellationToken);
        await using var gateway = await GatewayProcess.StartAsync(s3rver, bucket, Path.Combine(_root, "deny"));
        var grant = await GatewayProcess.GrantAsync("users/123/");
        // rclone's S3 remote from the environment: the grant's keys, the gateway as endpoint, V1 listings for s3rver
        // (rclone 1.60 fails on AWS_CA_BUNDLE with a plain-http endpoint, as bench/run notes).
        var rclone = $"RCLONE_CONFIG_GW_TYPE=s3 RCLONE_CONFIG_GW_PROVIDER=Other RCLONE_CONFIG_GW_ENDPOINT={gateway.Endpoint} " +
            $"RCLONE_CONFIG_GW_ACCESS_KEY_ID={grant["AWS_ACCESS_KEY_ID"]} RCLONE_CONFIG_GW_SECRET_ACCESS_KEY={grant["AWS_SECRET_ACCESS_KEY"]} " +
            "RCLONE_CONFIG_GW_FORCE_PATH_STYLE=true RCLONE_CONFIG_GW_LIST_VERSION=1 RCLONE_CONFIG_GW_NO_CHECK_BUCKET=true env -u AWS_CA_BUNDLE rclone --config /dev/null " +
            "--s3-upload-cutoff 5M --s3-chunk-size 5M --retries 1 --low-level-retries 1";

        await Shell.MustAsync($"""
            set -e
            head -c 12582912 /dev/urandom > big.bin
            {rclone} copyto big.bin gw:{bucket}/users/123/dir/big.bin
            test "$({rclone} lsf gw:{bucket}/users/123/dir/)" = big.bin
            {rclone} cat gw:{bucket}/users/123/dir/big.bin | cmp - big.bin
            {rclone} deletefile gw:{bucket}/users/123/dir/big.bin
            test -z "$({rclone} lsf gw:{bucket}/users/123/dir/)"
            """, _root, TimeSpan.FromMinutes(2));
        var above = await Shell.RunAsync($"{rclone} lsf gw:{bucket}/users/", _root);

        Assert.AreNotEqual(0, above.ExitCode, "listing users/ with a grant for users/123/ must fail:\n" + above.Output);
        StringAssert.Contains(above.Error, "AccessDenied");
        // `gateway status` shows the grant's counters (the gateway writes them every two seconds): wait, bounded.
        var grantId = grant["BUCKETMOUNT_GRANT_ID"];
        var status = "";
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!status.Contains("(1 refused", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            status = (await Cli.RunAsync(["gateway", "status"])).Output.Split('\n').FirstOrDefault(l => l.Contains(grantId, StringComparison.Ordinal)) ?? "";
            await Task.Delay(200);
        }

        StringAssert.Contains(status, $"grant {grantId} read-write users/123/:");
        StringAssert.Contains(status, "(1 refused, 0 over the rate)");
        StringAssert.Matches(status, new System.Text.RegularExpressions.Regex(@"1258\d{4} bytes in, 1258\d{4} out")); // the 12 MiB file up and down
        var audit = await gateway.StopAsync();
        StringAssert.Contains(audit, "op=CompleteMultipartUpload key=\"users/123/dir/big.bin\" status=200");
        StringAssert.Contains(audit, "op=ListObjects key=\"\" status=403 in=0 out=");
        StringAssert.Contains(audit, "reason=\"listing of prefix 'users/' above the grant's\"");
    }

    [TestMethod]
    public async Task S3fs_with_a_rooted_grant_writes_reads_renames_and_deletes_under_the_prefix_and_sees_nothing_else()
    {
        var ct = TestContext.CancellationToken;
        var s3rver = await Emulators.S3rver;
        var bucket = await S3Buckets.CreateBucketAsync(s3rver, ct);
        using var admin = S3Buckets.AdminClient(s3rver);
        await admin.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "users/456/secret", ContentBody = "other tenant" }, ct);
        await admin.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "top.txt", ContentBody = "top" }, ct);
        await using var gateway = await GatewayProcess.StartAsync(s3rver, bucket, Path.Combine(_root, "deny"));
        // s3fs 1.90 lists the bucket root at start (no option skips it): a rooted grant's root IS its prefix.
        var grant = await GatewayProcess.GrantAsync("users/123/", "--rooted");
        var passwd = Path.Combine(_root, "passwd");
        File.WriteAllText(passwd, grant["AWS_ACCESS_KEY_ID"] + ":" + grant["AWS_SECRET_ACCESS_KEY"]);
        File.SetUnixFileMode(passwd, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var mountPoint = Directory.CreateDirectory(Path.Combine(_root, "mnt")).FullName;

        var info = new ProcessStartInfo("s3fs") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { bucket, mountPoint, "-f", "-o", $"url={gateway.Endpoint},use_path_request_style,passwd_file={passwd},retries=1,stat_cache_expire=1" })
        {
            info.ArgumentList.Add(argument);
        }

        using var s3fs = Process.Start(info)!;
        var s3fsErrors = s3fs.StandardError.ReadToEndAsync(ct);
        try
        {
            // s3fs attaches first and checks the bucket in its init: ready once the root lists through the gateway.
            var ready = false;
            for (var attempt = 0; attempt < 150 && !ready && !s3fs.HasExited; attempt++)
            {
                ready = (await Shell.RunAsync($"grep -q ' {mountPoint} fuse.s3fs' /proc/mounts && ls '{mountPoint}' >/dev/null")).ExitCode == 0;
                if (!ready)
                {
                    await Task.Delay(200, ct);
                }
            }

            Assert.IsTrue(ready, "s3fs did not come up through the gateway:\n" + (s3fs.HasExited ? await s3fsErrors : ""));
            await Shell.MustAsync($"""
                set -e
                head -c 12582912 /dev/urandom > big.bin
                cd '{mountPoint}'
                test -z "$(ls -A)"
                echo hello > a.txt
                mkdir dir
                cp ../big.bin dir/big.bin
                mv a.txt dir/b.txt
                test "$(cat dir/b.txt)" = hello
                test "$(ls | tr '\n' ' ')" = "dir "
                test "$(ls dir | tr '\n' ' ')" = "b.txt big.bin "
                cmp ../big.bin dir/big.bin
                rm dir/b.txt
                test "$(ls dir | tr '\n' ' ')" = "big.bin "
                """, _root, TimeSpan.FromMinutes(2));
        }
        finally
        {
            await Shell.RunAsync($"fusermount -u '{mountPoint}'");
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await s3fs.WaitForExitAsync(exit.Token);
            }
            catch (OperationCanceledException)
            {
                s3fs.Kill();
            }
        }

        var keys = (await admin.ListObjectsAsync(bucket, ct)).S3Objects.Select(o => o.Key).ToList();
        CollectionAssert.Contains(keys, "users/123/dir/big.bin");
        CollectionAssert.DoesNotContain(keys, "users/123/dir/b.txt");
        CollectionAssert.IsSubsetOf(new[] { "top.txt", "users/456/secret" }, keys);
        Assert.IsTrue(keys.All(k => k is "top.txt" or "users/456/secret" || k.StartsWith("users/123/", StringComparison.Ordinal)), string.Join(", ", keys));

        // The same keys cannot name anything above their root.
        using var sandbox = new AmazonS3Client(new BasicAWSCredentials(grant["AWS_ACCESS_KEY_ID"], grant["AWS_SECRET_ACCESS_KEY"]),
            new AmazonS3Config { ServiceURL = gateway.Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1", UseHttp = true, MaxErrorRetry = 0 });
        var above = await Assert.ThrowsExactlyAsync<AmazonS3Exception>(() => sandbox.ListObjectsAsync(new ListObjectsRequest { BucketName = bucket, Prefix = "../" }, ct));
        Assert.AreEqual("AccessDenied", above.ErrorCode);

        var audit = await gateway.StopAsync();
        StringAssert.Contains(audit, "op=ListObjects key=\"\" status=200");
        StringAssert.Contains(audit, "op=CompleteMultipartUpload key=\"users/123/dir/big.bin\" status=200");
        StringAssert.Contains(audit, "reason=\"the listing prefix has a '.' or '..' segment\"");
        Assert.AreEqual(1, audit.Split('\n').Count(l => l.Contains("reason=", StringComparison.Ordinal)), "s3fs never needed anything the grant refuses:\n" + audit);
    }
}
