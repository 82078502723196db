using System.Diagnostics;
using BucketMount.TestSupport;

namespace BucketMount.Mount.Tests;

/// <summary>Mount-time errors are clear and immediate: the CLI exits with 2 and says what to fix, nothing is mounted.</summary>
[TestClass]
public sealed class MountErrorTests
{
    private string _root = null!;

    public TestContext TestContext { get; set; } = null!;

    [TestInitialize]
    public void CreateRoot() => _root = Directory.CreateTempSubdirectory("bucketmount-errors-").FullName;

    [TestCleanup]
    public void DeleteRoot() => Directory.Delete(_root, recursive: true);

    private static Task<(int Code, string Output)> CliAsync(IDictionary<string, string>? environment, params string[] arguments) =>
        Cli.RunAsync(arguments, info =>
        {
            foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            {
                info.Environment[name] = value;
            }
        });

    private string EmptyMountPoint()
    {
        var path = Path.Combine(_root, "mnt");
        Directory.CreateDirectory(path);
        return path;
    }

    [TestMethod]
    public async Task A_missing_mount_point_is_named()
    {
        var (code, error) = await CliAsync(null, "mount", "file://" + _root, Path.Combine(_root, "nope"), "--cache-dir", Path.Combine(_root, "c"));

        Assert.AreEqual(2, code, error);
        StringAssert.Contains(error, "does not exist");
        StringAssert.Contains(error, "mkdir -p");
    }

    [TestMethod]
    public async Task A_mount_point_that_is_not_empty_is_refused()
    {
        var mountPoint = EmptyMountPoint();
        await File.WriteAllTextAsync(Path.Combine(mountPoint, "x"), "x");

        var (code, error) = await CliAsync(null, "mount", "file://" + _root + "/store", mountPoint, "--cache-dir", Path.Combine(_root, "c"));

        Assert.AreEqual(2, code, error);
        StringAssert.Contains(error, "not empty");
    }

    [TestMethod]
    public async Task An_unreachable_endpoint_fails_the_mount_with_what_to_check()
    {
        var port = EmulatorProcess.FreeLoopbackPort();
        var (code, error) = await CliAsync(new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = "a", ["AWS_SECRET_ACCESS_KEY"] = "b" },
            "mount", $"s3://bucket?endpoint=http://127.0.0.1:{port}&path_style", EmptyMountPoint(), "--cache-dir", Path.Combine(_root, "c"));

        Assert.AreEqual(2, code, error);
        StringAssert.Contains(error, "check the endpoint");
        Assert.IsFalse(MountProcess.IsMounted(Path.Combine(_root, "mnt")));
    }

    [TestMethod]
    public async Task A_missing_bucket_fails_the_mount_naming_the_bucket()
    {
        var emulator = await Emulators.S3rver;
        var (code, error) = await CliAsync(null, "mount", $"s3://no-such-bucket-xyz?endpoint={emulator.Endpoint}&path_style&list_version=1", EmptyMountPoint(), "--cache-dir", Path.Combine(_root, "c"));

        Assert.AreEqual(2, code, error);
        StringAssert.Contains(error, "s3://no-such-bucket-xyz");
        StringAssert.Contains(error, "bucket does not exist");
    }

    [TestMethod]
    public async Task Wrong_credentials_fail_the_mount_without_showing_them()
    {
        var emulator = await Emulators.Azurite;
        var wrongKey = Convert.ToBase64String(Enumerable.Repeat((byte)7, 64).ToArray());
        var (code, error) = await CliAsync(new Dictionary<string, string> { ["AZURE_STORAGE_KEY"] = wrongKey },
            "mount", $"az://devstoreaccount1/anything?endpoint={emulator.Endpoint}/devstoreaccount1", EmptyMountPoint(), "--cache-dir", Path.Combine(_root, "c"));

        Assert.AreEqual(2, code, error);
        StringAssert.Contains(error, "refused the credentials");
        Assert.DoesNotContain(wrongKey, error);
    }

    [TestMethod]
    public async Task A_bad_max_dirty_mib_is_refused_in_the_options_own_words()
    {
        foreach (var bad in new[] { "0", "-5", "lots", "1.5" })
        {
            // A mount point that does not exist: were the value taken, the mount would stop there, never mount.
            var (code, error) = await CliAsync(null, "mount", "file://" + _root, Path.Combine(_root, "nope"), "--cache-dir", Path.Combine(_root, "c"), "--max-dirty-mib", bad);

            Assert.AreNotEqual(0, code, error);
            StringAssert.Contains(error, $"--max-dirty-mib '{bad}' is not a whole number of MiB from 1 to", $"for {bad}");
            Assert.DoesNotContain("System.", error, "no .NET type in the message");
        }
    }

    [TestMethod]
    public async Task Max_dirty_mib_sets_the_dirty_data_limit_of_the_mount()
    {
        var store = Path.Combine(_root, "store");
        Directory.CreateDirectory(store);
        var mountPoint = Path.Combine(_root, "mnt");

        // A 1 MiB limit and a long write-back delay: a 3 MiB file cannot be held for upload, a 512 KiB one can.
        await using var mount = await MountProcess.StartAsync("file://" + store, mountPoint, Path.Combine(_root, "c"), "--max-dirty-mib", "1", "--write-back-delay", "600");
        var (bigCode, _, bigError) = await Shell.RunAsync($"head -c 3145728 /dev/zero > '{mountPoint}/big'");
        var (smallCode, _, smallError) = await Shell.RunAsync($"rm -f '{mountPoint}/big' && head -c 524288 /dev/zero > '{mountPoint}/small'");

        Assert.AreNotEqual(0, bigCode, "a write past --max-dirty-mib fails");
        StringAssert.Contains(bigError, "No space left on device");
        Assert.AreEqual(0, smallCode, smallError);
        await mount.UnmountAsync();
        Assert.AreEqual(524288, new FileInfo(Path.Combine(store, "small")).Length);
    }

    [TestMethod]
    public async Task The_demo_mounts_a_store_writes_lists_and_reads_back_through_the_kernel()
    {
        var store = Path.Combine(_root, "demo-store");
        Directory.CreateDirectory(store);

        var (code, output) = await CliAsync(null, "demo", "file://" + store, "--keep");

        Assert.AreEqual(0, code, output);
        StringAssert.Contains(output, "Mounted file://");
        StringAssert.Contains(output, "OK: every file read back identical through the mount and is in the store.");
        Assert.AreEqual(24 * 1024 * 1024, new FileInfo(Path.Combine(store, "bucketmount-demo", "big.bin")).Length);
    }

    [TestMethod]
    public async Task Named_remotes_come_from_the_config_file_and_unknown_names_are_explained()
    {
        var store = Path.Combine(_root, "store");
        Directory.CreateDirectory(Path.Combine(store, "docs"));
        await File.WriteAllTextAsync(Path.Combine(store, "docs", "a.txt"), "a");
        var config = Path.Combine(_root, "remotes.json");
        await File.WriteAllTextAsync(config, $$"""{ "home": { "uri": "file://{{store}}" } }""");
        File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var environment = new Dictionary<string, string> { ["BUCKETMOUNT_CONFIG"] = config };

        var (code, listing) = await CliAsync(environment, "ls", "home:docs");
        var (unknownCode, unknown) = await CliAsync(environment, "ls", "work:");

        Assert.AreEqual(0, code, listing);
        StringAssert.Contains(listing, "a.txt");
        Assert.AreEqual(2, unknownCode);
        StringAssert.Contains(unknown, "no remote named 'work'");
    }

    [TestMethod]
    public async Task Cleanup_says_what_it_found_and_explains_a_store_that_cannot_list_uploads()
    {
        var store = Path.Combine(_root, "plain");
        Directory.CreateDirectory(store);
        var emulator = await Emulators.S3rver;
        var bucket = await S3Buckets.CreateBucketAsync(emulator, TestContext.CancellationTokenSource.Token);

        var (emptyCode, empty) = await CliAsync(null, "cleanup", "file://" + store);
        var (badAgeCode, badAge) = await CliAsync(null, "cleanup", "file://" + store, "--older-than-hours", "-1");
        var (s3rverCode, s3rver) = await CliAsync(null, "cleanup", $"s3://{bucket}?endpoint={emulator.Endpoint}&path_style&list_version=1");

        Assert.AreEqual(0, emptyCode, empty);
        StringAssert.Contains(empty, "No unfinished uploads under file://");
        Assert.AreEqual(2, badAgeCode, badAge);
        StringAssert.Contains(badAge, "--older-than-hours '-1' is not a number of hours, 0 or more");
        Assert.AreEqual(2, s3rverCode, s3rver);
        StringAssert.Contains(s3rver, "cannot list unfinished multipart uploads");
        StringAssert.Contains(s3rver, "AbortIncompleteMultipartUpload");
    }
}
