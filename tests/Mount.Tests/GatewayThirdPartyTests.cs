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
        for (var attempt = 0; attempt < 50 && !status.Contains("(1 refused", StringComparison.Ordinal); attempt++)
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
}
