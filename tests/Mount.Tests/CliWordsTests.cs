using BucketMount.TestSupport;

namespace BucketMount.Mount.Tests;

/// <summary>
/// The CLI speaks the user's words: refusals name the option and what it accepts (never a .NET type or a stack
/// trace), the help's synopsis is what the commands accept, and the object commands work on the embedded store
/// when no remote is given, as `mount` does. No mount is made here.
/// </summary>
[TestClass]
public sealed class CliWordsTests
{
    private string _root = null!;

    public TestContext TestContext { get; set; } = null!;

    [TestInitialize]
    public void CreateRoot() => _root = Directory.CreateTempSubdirectory("bucketmount-words-").FullName;

    [TestCleanup]
    public void DeleteRoot() => Directory.Delete(_root, recursive: true);

    /// <summary>Runs the CLI with HOME and the XDG folders inside this test's root, so the embedded store and config are its own.</summary>
    private Task<(int Code, string Output)> RunAsync(params string[] arguments) => Cli.RunAsync(arguments, info =>
    {
        info.Environment["HOME"] = _root;
        info.Environment["XDG_DATA_HOME"] = Path.Combine(_root, "data");
        info.Environment["XDG_CONFIG_HOME"] = Path.Combine(_root, "config");
        info.Environment.Remove("BUCKETMOUNT_CONFIG");
        foreach (var name in new[] { "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AZURE_STORAGE_KEY", "AZURE_STORAGE_SAS_TOKEN", "AZURE_STORAGE_CONNECTION_STRING" })
        {
            info.Environment.Remove(name);
        }
    });

    private static void AssertNoDotNetNames(string output)
    {
        foreach (var internalName in new[] { "System.", "(Parameter '", "Nullable`1", "Exception", "   at " })
        {
            Assert.IsFalse(output.Contains(internalName, StringComparison.Ordinal), $"'{internalName}' in: {output}");
        }
    }

    [TestMethod]
    [DataRow("--block-size-kib", "3", "--block-size-kib '3' is not a power of two from 64 to 65536 KiB")]
    [DataRow("--metadata-ttl", "soon", "--metadata-ttl 'soon' is not a number of seconds, 0 or more")]
    [DataRow("--write-back-delay", "-1", "--write-back-delay '-1' is not a number of seconds")]
    [DataRow("--uid", "alice", "--uid 'alice' is not a numeric id such as 1000")]
    [DataRow("--gid", "-5", "--gid '-5' is not a numeric id")]
    [DataRow("--disk-cache-mib", "lots", "--disk-cache-mib 'lots' is not a whole number of MiB")]
    [DataRow("--conflict", "keepbot", "--conflict 'keepbot' is not one of LastWriterWins, KeepBoth (did you mean 'KeepBoth'?)")]
    [DataRow("--log-level", "debgu", "--log-level 'debgu' is not one of")]
    [DataRow("--memory-cache-mib", "1", "--memory-cache-mib 1 must hold at least four blocks of --block-size-kib 1024")]
    [DataRow("--umask", "9x", "--umask '9x' is not an octal number")]
    public async Task A_bad_option_value_is_refused_in_the_options_words(string option, string value, string expected)
    {
        var mountPoint = Directory.CreateDirectory(Path.Combine(_root, "mnt")).FullName;

        var (code, output) = await RunAsync("mount", "mem://words", mountPoint, option, value, "--cache-dir", Path.Combine(_root, "cache"));

        Assert.AreNotEqual(0, code, output);
        StringAssert.Contains(output, expected);
        AssertNoDotNetNames(output);
        Assert.IsFalse(output.Contains("--current-session", StringComparison.Ordinal), "a parse error shows the error, not the whole help: " + output);
    }

    [TestMethod]
    public async Task A_mount_point_that_is_a_file_says_so()
    {
        var file = Path.Combine(_root, "file");
        await File.WriteAllTextAsync(file, "x");

        var (code, output) = await RunAsync("mount", "mem://words", file, "--cache-dir", Path.Combine(_root, "cache"));

        Assert.AreEqual(2, code, output);
        StringAssert.Contains(output, $"the mount point '{file}' is a file, not a directory");
    }

    [TestMethod]
    public async Task A_remote_without_a_mount_point_says_the_mount_point_is_missing()
    {
        var (code, output) = await RunAsync("mount", "s3://some-bucket");

        Assert.AreEqual(2, code, output);
        StringAssert.Contains(output, "the mount point is missing");
        Assert.IsFalse(output.Contains("mkdir", StringComparison.Ordinal), output);
    }

    [TestMethod]
    public async Task Put_of_a_missing_file_or_a_directory_is_a_clear_error()
    {
        var (missingCode, missing) = await RunAsync("put", "mem://words", "k", Path.Combine(_root, "nope"));
        var (folderCode, folder) = await RunAsync("put", "mem://words", "k", _root);

        Assert.AreEqual(2, missingCode, missing);
        StringAssert.Contains(missing, "does not exist: give the local file to upload");
        Assert.AreEqual(2, folderCode, folder);
        StringAssert.Contains(folder, "is a directory: put uploads one file");
        AssertNoDotNetNames(missing + folder);
    }

    [TestMethod]
    [DataRow("cat s3://some-bucket", "cat needs the KEY after the remote")]
    [DataRow("put s3://some-bucket notes.txt", "put needs the KEY and the local FILE after the remote")]
    [DataRow("rm s3://some-bucket", "rm needs the keys to delete after the remote")]
    public async Task A_remote_alone_says_what_must_follow_it(string commandLine, string expected)
    {
        var (code, output) = await RunAsync(commandLine.Split(' '));

        Assert.AreEqual(2, code, output);
        StringAssert.Contains(output, expected);
    }

    [TestMethod]
    public async Task Version_works_as_a_command_and_as_an_option()
    {
        var (code, output) = await RunAsync("version");
        var (optionCode, option) = await RunAsync("--version");

        Assert.AreEqual(0, code, output);
        Assert.AreEqual(0, optionCode, option);
        StringAssert.StartsWith(output, "bucketmount ");
        StringAssert.Contains(output, option.Trim());
    }

    [TestMethod]
    public async Task The_help_synopsis_shows_what_mount_and_status_accept()
    {
        var (code, output) = await RunAsync("--help");

        Assert.AreEqual(0, code, output);
        StringAssert.Contains(output, "mount [REMOTE] MOUNTPOINT ");
        StringAssert.Contains(output, "status [MOUNTPOINT] ");
        StringAssert.Contains(output, "unmount MOUNTPOINT ");
        StringAssert.Contains(output, "cat [REMOTE] KEY ");
    }

    [TestMethod]
    public async Task Object_commands_use_the_embedded_store_when_no_remote_is_given()
    {
        var local = Path.Combine(_root, "hello.txt");
        await File.WriteAllTextAsync(local, "hello");
        var embedded = Path.Combine(_root, "data", "bucketmount", "store");

        var put = await RunAsync("put", "notes/hello.txt", local);
        Assert.AreEqual(0, put.Code, put.Output);
        Assert.AreEqual("hello", await File.ReadAllTextAsync(Path.Combine(embedded, "notes", "hello.txt")), "put went to the embedded store");
        var cat = await RunAsync("cat", "notes/hello.txt");
        var size = await RunAsync("size");
        var ls = await RunAsync("ls", "--recursive");
        var rm = await RunAsync("rm", "--recursive", "notes");
        var after = await RunAsync("size");

        Assert.AreEqual((0, "hello"), cat);
        Assert.AreEqual(0, size.Code, size.Output);
        StringAssert.StartsWith(size.Output, "1 objects, 5 bytes");
        StringAssert.Contains(ls.Output, "notes/hello.txt");
        Assert.AreEqual(0, rm.Code, rm.Output);
        StringAssert.StartsWith(after.Output, "0 objects, 0 bytes");
    }

    [TestMethod]
    public async Task Rm_recursive_deletes_a_folder_and_what_is_below_it_only()
    {
        var store = Path.Combine(_root, "store");
        var local = Path.Combine(_root, "f");
        await File.WriteAllTextAsync(local, "12345678");
        foreach (var key in new[] { "a/1", "a/b/2", "a/b/c/3", "ab/4", "z" })
        {
            Assert.AreEqual(0, (await RunAsync("put", "file://" + store, key, local)).Code);
        }

        var (code, output) = await RunAsync("rm", "-r", "file://" + store, "a");
        var size = await RunAsync("size", "file://" + store);

        Assert.AreEqual(0, code, output);
        StringAssert.Contains(output, "Deleted 3 object(s)");
        StringAssert.StartsWith(size.Output, "2 objects, 16 bytes", "ab/4 and z stay");
    }

    [TestMethod]
    public async Task Mb_creates_a_local_bucket_and_leaves_an_existing_one()
    {
        var folder = Path.Combine(_root, "new-bucket");

        var first = await RunAsync("mb", "file://" + folder);
        var second = await RunAsync("mb", "file://" + folder);

        Assert.AreEqual(0, first.Code, first.Output);
        Assert.IsTrue(Directory.Exists(folder));
        StringAssert.Contains(first.Output, "Created");
        Assert.AreEqual(0, second.Code, second.Output);
        StringAssert.Contains(second.Output, "already exists");
    }

    [TestMethod]
    public async Task Mb_creates_an_s3_bucket_that_then_takes_objects()
    {
        var emulator = await Emulators.S3rver;
        var bucket = "mb-" + Guid.NewGuid().ToString("N")[..16];
        var remote = $"s3://{bucket}?endpoint={emulator.Endpoint}&path_style&list_version=1&batch_delete=false&conditional_writes=false&conditional_reads=false";
        var local = Path.Combine(_root, "f");
        await File.WriteAllTextAsync(local, "abc");

        var (code, output) = await Cli.RunAsync(["mb", remote, "--region", "us-east-1"], S3Keys);
        var put = await Cli.RunAsync(["put", remote, "k", local], S3Keys);
        var again = await Cli.RunAsync(["mb", remote], S3Keys);

        Assert.AreEqual(0, code, output);
        StringAssert.Contains(output, $"Created s3://{bucket}");
        Assert.AreEqual(0, put.Code, put.Output);
        using var admin = S3Buckets.AdminClient(emulator);
        Assert.AreEqual(3, (await admin.GetObjectMetadataAsync(bucket, "k", TestContext.CancellationToken)).ContentLength);
        Assert.AreEqual(0, again.Code, again.Output);
    }

    [TestMethod]
    public async Task Mb_creates_an_azure_container_that_then_takes_blobs()
    {
        var emulator = await Emulators.Azurite;
        var container = "mb-" + Guid.NewGuid().ToString("N")[..16];
        var remote = $"az://devstoreaccount1/{container}?endpoint={emulator.Endpoint}/devstoreaccount1";
        var local = Path.Combine(_root, "f");
        await File.WriteAllTextAsync(local, "abc");

        // The account key comes from the environment the test assembly sets (AZURE_STORAGE_KEY, Azurite's dev key).
        var before = await Cli.RunAsync(["put", remote, "k", local]);
        var (code, output) = await Cli.RunAsync(["mb", remote]);
        var put = await Cli.RunAsync(["put", remote, "k", local]);
        var read = await Cli.RunAsync(["cat", remote, "k"]);
        var again = await Cli.RunAsync(["mb", remote]);

        Assert.AreNotEqual(0, before.Code, "the container did not exist before mb: " + before.Output);
        Assert.AreEqual(0, code, output);
        StringAssert.Contains(output, $"Created az://devstoreaccount1/{container}");
        Assert.AreEqual(0, put.Code, put.Output);
        Assert.AreEqual("abc", read.Output.Trim());
        Assert.AreEqual(0, again.Code, again.Output);
        StringAssert.Contains(again.Output, "already exists");
    }

    [TestMethod]
    public async Task Object_commands_log_each_store_request_at_Debug()
    {
        var store = Directory.CreateDirectory(Path.Combine(_root, "debug-store")).FullName;
        var local = Path.Combine(_root, "f");
        await File.WriteAllTextAsync(local, "abcd");

        var put = await Cli.RunAsync(["put", "file://" + store, "dir/k", local, "--log-level", "Debug"]);
        var quiet = await Cli.RunAsync(["cat", "file://" + store, "dir/k"]);
        var bad = await Cli.RunAsync(["ls", "file://" + store, "--log-level", "Loud"]);

        Assert.AreEqual(0, put.Code, put.Output);
        Assert.IsTrue(System.Text.RegularExpressions.Regex.IsMatch(put.Output, @" DEBU BucketMount\.Store: (PUT|UPLOAD) 'dir/k' ok 4 bytes \d+ ms try 1"), put.Output);
        Assert.AreEqual("abcd", quiet.Output, "no log lines at the default level");
        Assert.AreNotEqual(0, bad.Code);
        StringAssert.Contains(bad.Output, "--log-level");
    }

    private static void S3Keys(System.Diagnostics.ProcessStartInfo info)
    {
        info.Environment["AWS_ACCESS_KEY_ID"] = S3Buckets.AccessKey;
        info.Environment["AWS_SECRET_ACCESS_KEY"] = S3Buckets.SecretKey;
    }
}
