using Amazon.S3.Model;
using BucketMount.TestSupport;

namespace BucketMount.Mount.Tests;

/// <summary>
/// Our mount in a "sandbox" that has only a grant's keys, through `bucketmount gateway` in front of s3rver: the
/// ordinary file operations and a multipart upload work, and everything lands under the grant's prefix.
/// </summary>
[TestClass]
public sealed class GatewayMountTests
{
    private string _root = null!;

    public TestContext TestContext { get; set; } = null!;

    [TestInitialize]
    public void CreateFolders() => _root = Directory.CreateTempSubdirectory("bm-gw-").FullName;

    [TestCleanup]
    public void DeleteFolders() => Directory.Delete(_root, recursive: true);

    [TestMethod]
    public async Task Mount_through_the_gateway_writes_reads_renames_lists_and_uploads_a_multipart_file_under_the_grant()
    {
        var s3rver = await Emulators.S3rver;
        var bucket = await S3Buckets.CreateBucketAsync(s3rver, TestContext.CancellationToken);
        await using var gateway = await GatewayProcess.StartAsync(s3rver, bucket, Path.Combine(_root, "deny"));
        var grant = await GatewayProcess.GrantAsync("users/123/");
        var sandbox = new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = grant["AWS_ACCESS_KEY_ID"], ["AWS_SECRET_ACCESS_KEY"] = grant["AWS_SECRET_ACCESS_KEY"] };
        var remote = $"s3://{bucket}/users/123?endpoint={gateway.Endpoint}&path_style=true&list_version=1&conditional_writes=false&conditional_reads=false&batch_delete=false";
        var mountPoint = Path.Combine(_root, "mnt");
        var big = Path.Combine(_root, "big.bin");
        await Shell.MustAsync($"head -c 9961472 /dev/urandom > '{big}'"); // 9.5 MiB: two parts of the mount's 8 MiB

        await using (var mount = await MountProcess.StartWithEnvironmentAsync(sandbox, remote, mountPoint, Path.Combine(_root, "cache")))
        {
            await Shell.MustAsync($"""
                set -e
                cd '{mountPoint}'
                echo hello > a.txt
                mkdir dir
                cp '{big}' dir/big.bin
                mv a.txt dir/b.txt
                test "$(cat dir/b.txt)" = hello
                test "$(ls dir | tr '\n' ' ')" = "b.txt big.bin "
                cmp '{big}' dir/big.bin
                """);
            await mount.UnmountAsync();
        }

        // A new sandbox, empty cache: everything reads back through the gateway.
        await using (var again = await MountProcess.StartWithEnvironmentAsync(sandbox, remote, mountPoint, Path.Combine(_root, "cache2")))
        {
            await Shell.MustAsync($"set -e; cmp '{big}' '{mountPoint}/dir/big.bin'; test \"$(cat '{mountPoint}/dir/b.txt')\" = hello; test ! -e '{mountPoint}/a.txt'");
            await again.UnmountAsync();
        }

        using var admin = S3Buckets.AdminClient(s3rver);
        var keys = (await admin.ListObjectsAsync(new ListObjectsRequest { BucketName = bucket }, TestContext.CancellationToken)).S3Objects.Select(o => o.Key).ToList();
        CollectionAssert.Contains(keys, "users/123/dir/big.bin");
        CollectionAssert.Contains(keys, "users/123/dir/b.txt");
        Assert.IsTrue(keys.All(k => k.StartsWith("users/123/", StringComparison.Ordinal)), string.Join(", ", keys));

        var audit = await gateway.StopAsync();
        StringAssert.Contains(audit, "op=CompleteMultipartUpload key=\"users/123/dir/big.bin\" status=200");
        Assert.IsFalse(audit.Contains(grant["AWS_SECRET_ACCESS_KEY"], StringComparison.Ordinal), "no secret in the audit log");
        Assert.IsFalse(audit.Contains("reason=", StringComparison.Ordinal), "the mount never needed anything the grant refuses:\n" + audit);
    }

    [TestMethod]
    [DataRow(true, false, DisplayName = "through the gateway's unix socket")]
    [DataRow(false, true, DisplayName = "with a rooted grant, the bucket's root mounted")]
    public async Task Mount_through_the_gateway_writes_and_reads_back_under_the_grant(bool unixSocket, bool rooted)
    {
        var s3rver = await Emulators.S3rver;
        var bucket = await S3Buckets.CreateBucketAsync(s3rver, TestContext.CancellationToken);
        // A sandbox without a network reaches the gateway only through its socket, bind-mounted in.
        await using var gateway = await GatewayProcess.StartAsync(s3rver, bucket, Path.Combine(_root, "deny"), unixSocket: unixSocket ? Path.Combine(_root, "gw.sock") : null);
        var grant = rooted ? await GatewayProcess.GrantAsync("users/7/", "--rooted") : await GatewayProcess.GrantAsync("users/7/");
        var sandbox = new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = grant["AWS_ACCESS_KEY_ID"], ["AWS_SECRET_ACCESS_KEY"] = grant["AWS_SECRET_ACCESS_KEY"] };
        var remote = $"s3://{bucket}{(rooted ? "" : "/users/7")}?endpoint={gateway.Endpoint}&path_style=true&list_version=1&conditional_writes=false&conditional_reads=false&batch_delete=false";
        var mountPoint = Path.Combine(_root, "mnt");
        var data = Path.Combine(_root, "data.bin");
        await Shell.MustAsync($"head -c 3000000 /dev/urandom > '{data}'");

        await using (var mount = await MountProcess.StartWithEnvironmentAsync(sandbox, remote, mountPoint, Path.Combine(_root, "cache")))
        {
            await Shell.MustAsync($"set -e; cd '{mountPoint}'; mkdir d; cp '{data}' d/data.bin; echo one > d/one.txt; mv d/one.txt d/two.txt; test \"$(ls d | tr '\\n' ' ')\" = \"data.bin two.txt \"");
            await mount.UnmountAsync();
        }

        await using (var again = await MountProcess.StartWithEnvironmentAsync(sandbox, remote, mountPoint, Path.Combine(_root, "cache2")))
        {
            await Shell.MustAsync($"set -e; cmp '{data}' '{mountPoint}/d/data.bin'; test \"$(cat '{mountPoint}/d/two.txt')\" = one");
            await again.UnmountAsync();
        }

        using var admin = S3Buckets.AdminClient(s3rver);
        var keys = (await admin.ListObjectsAsync(new ListObjectsRequest { BucketName = bucket }, TestContext.CancellationToken)).S3Objects.Select(o => o.Key).ToList();
        CollectionAssert.IsSubsetOf(new[] { "users/7/d/data.bin", "users/7/d/two.txt" }, keys);
        var audit = await gateway.StopAsync();
        StringAssert.Contains(audit, "op=PutObject key=\"users/7/d/data.bin\" status=200");
        Assert.IsFalse(audit.Contains("reason=", StringComparison.Ordinal), audit);
    }
}
