namespace BucketMount.Mount.Tests;

/// <summary>
/// `bucketmount config list|show|add|remove` manage the remotes file without ever printing a secret; the file is
/// written private (0600), a copy others can read gets a warning, and a named remote works where a URI does.
/// </summary>
[TestClass]
public sealed class ConfigCommandTests
{
    private const string Secret = "wJalrXUtnFEMI-TOPSECRET";

    private string _root = null!;

    public TestContext TestContext { get; set; } = null!;

    private string ConfigPath => Path.Combine(_root, "remotes.json");

    [TestInitialize]
    public void CreateRoot() => _root = Directory.CreateTempSubdirectory("bucketmount-config-").FullName;

    [TestCleanup]
    public void DeleteRoot() => Directory.Delete(_root, recursive: true);

    private Task<(int Code, string Output)> RunAsync(IDictionary<string, string>? environment, params string[] arguments) => Cli.RunAsync(arguments, info =>
    {
        info.Environment["BUCKETMOUNT_CONFIG"] = ConfigPath;
        foreach (var name in new[] { "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AZURE_STORAGE_KEY", "AZURE_STORAGE_SAS_TOKEN", "AZURE_STORAGE_CONNECTION_STRING" })
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }
    });

    [TestMethod]
    public async Task Add_list_show_remove_never_print_the_secret()
    {
        var keys = new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = "AKIAEXAMPLE", ["AWS_SECRET_ACCESS_KEY"] = Secret };

        var add = await RunAsync(keys, "config", "add", "work", "s3://bucket/team?endpoint=http://127.0.0.1:9000&path_style", "--credentials-from-env");
        var list = await RunAsync(null, "config", "list");
        var show = await RunAsync(null, "config", "show", "work");
        var typo = await RunAsync(null, "config", "show", "wrok");

        Assert.AreEqual(0, add.Code, add.Output);
        StringAssert.Contains(await File.ReadAllTextAsync(ConfigPath), Secret, "the secret is stored in the file");
        Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ConfigPath));
        Assert.AreEqual(0, list.Code, list.Output);
        StringAssert.Contains(list.Output, "work\ts3://bucket/team?endpoint=http://127.0.0.1:9000&path_style\t(credentials stored)");
        Assert.AreEqual(0, show.Code, show.Output);
        StringAssert.Contains(show.Output, "secretAccessKey: (stored)");
        StringAssert.Contains(show.Output, "accessKeyId: AKIAEXAMPLE");
        Assert.AreEqual(2, typo.Code, typo.Output);
        StringAssert.Contains(typo.Output, "(did you mean 'work'?)");
        foreach (var output in new[] { add.Output, list.Output, show.Output, typo.Output })
        {
            Assert.IsFalse(output.Contains(Secret, StringComparison.Ordinal), output);
        }

        var remove = await RunAsync(null, "config", "remove", "work");
        var after = await RunAsync(null, "config", "list");

        Assert.AreEqual(0, remove.Code, remove.Output);
        Assert.IsFalse(after.Output.Contains("work", StringComparison.Ordinal), after.Output);
        Assert.IsFalse((await File.ReadAllTextAsync(ConfigPath)).Contains(Secret, StringComparison.Ordinal), "removing a remote removes its keys");
    }

    [TestMethod]
    public async Task Add_refuses_a_misspelt_option_and_a_duplicate_name()
    {
        var typo = await RunAsync(null, "config", "add", "x", "s3://bucket?endpont=http://127.0.0.1:9000");
        var first = await RunAsync(null, "config", "add", "x", "mem://one");
        var again = await RunAsync(null, "config", "add", "x", "mem://two");

        Assert.AreEqual(2, typo.Code, typo.Output);
        StringAssert.Contains(typo.Output, "did you mean 'endpoint'?");
        Assert.AreEqual(0, first.Code, first.Output);
        Assert.AreEqual(2, again.Code, again.Output);
        StringAssert.Contains(again.Output, "--replace");
    }

    [TestMethod]
    public async Task A_named_remote_works_where_a_uri_does_and_keeps_the_other_sections()
    {
        var store = Directory.CreateDirectory(Path.Combine(_root, "store")).FullName;
        await File.WriteAllTextAsync(Path.Combine(store, "hello.txt"), "hi");
        // The first format (a bare object of remotes) is still read; "mounts" belongs to the service that reads it.
        await File.WriteAllTextAsync(ConfigPath, $$$"""{"local": {"uri": "file://{{{store}}}"}}""");

        var cat = await RunAsync(null, "cat", "local:", "hello.txt");
        var add = await RunAsync(null, "config", "add", "other", "mem://x");

        Assert.AreEqual((0, "hi"), cat);
        Assert.AreEqual(0, add.Code, add.Output);
        var written = await File.ReadAllTextAsync(ConfigPath);
        StringAssert.Contains(written, "\"remotes\"");
        StringAssert.Contains(written, "\"local\"");

        await File.WriteAllTextAsync(ConfigPath, $$$"""{"remotes": {"local": {"uri": "file://{{{store}}}"}}, "mounts": [{"remote": "local:", "mountPoint": "X:"}]}""");
        await RunAsync(null, "config", "add", "third", "mem://y");
        StringAssert.Contains(await File.ReadAllTextAsync(ConfigPath), "\"mountPoint\": \"X:\"", "the mounts section survives an edit");
    }

    [TestMethod]
    public async Task A_file_with_keys_that_others_can_read_gets_a_warning_without_the_key()
    {
        await File.WriteAllTextAsync(ConfigPath, "{\"remotes\": {\"s\": {\"uri\": \"mem://s\", \"secretAccessKey\": \"" + Secret + "\", \"accessKeyId\": \"A\"}}}");
        File.SetUnixFileMode(ConfigPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var (code, output) = await RunAsync(null, "config", "list");

        Assert.AreEqual(0, code, output);
        StringAssert.Contains(output, "holds keys and can be read by other users");
        StringAssert.Contains(output, $"chmod 600 {ConfigPath}");
        Assert.IsFalse(output.Contains(Secret, StringComparison.Ordinal), output);
    }
}
