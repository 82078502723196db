using System.Diagnostics;
using System.Text;
using BucketMount.Backends.Local;

namespace BucketMount.Mount.Tests;

/// <summary>
/// Whoever can write a bucket chooses its key names: the commands that print them (`ls`, `put`) and the mount's
/// log show them escaped as `ls -b` does, so a name cannot send escape sequences to the user's terminal.
/// </summary>
[TestClass]
public sealed class KeyNameOutputTests
{
    private const string Evil = "report\u001b]0;owned\u0007\u001b[2J\u009b31m\nfake.txt";
    private const string Shown = @"report\033]0;owned\a\033[2J\302\23331m\nfake.txt";

    private string _root = null!;

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestInitialize]
    public void CreateRoot() => _root = Directory.CreateTempSubdirectory("bucketmount-names-").FullName;

    [TestCleanup]
    public void DeleteRoot() => Directory.Delete(_root, recursive: true);

    [TestMethod]
    public async Task Ls_and_put_print_control_characters_of_key_names_escaped()
    {
        var store = "file://" + Path.Combine(_root, "store");
        var source = Path.Combine(_root, "source.txt");
        await File.WriteAllTextAsync(source, "data", Token);

        var put = await RunAsync("put", store, "dir/" + Evil, source);
        var list = await RunAsync("ls", store, "--recursive");

        Assert.AreEqual(0, put.Code, put.Output);
        Assert.AreEqual(0, list.Code, list.Output);
        foreach (var output in new[] { put.Output, list.Output })
        {
            Assert.IsFalse(output.Any(c => c < 0x20 && c != '\n' || c is >= '\u007f' and <= '\u009f'), "raw control characters: " + output);
            StringAssert.Contains(output, "dir/" + Shown);
        }
    }

    [TestMethod]
    public async Task The_mount_log_names_files_escaped()
    {
        var storeFolder = Path.Combine(_root, "store");
        var log = Path.Combine(_root, "mount.log");
        await using (var direct = new LocalFolderStore(storeFolder))
        {
            await direct.PutAsync(Evil, new MemoryStream(Encoding.UTF8.GetBytes("theirs")), null, Token);
        }

        await using var mount = await MountProcess.StartAsync("file://" + storeFolder, Path.Combine(_root, "mnt"), Path.Combine(_root, "cache"), "--log-file", log, "--metadata-ttl", "0");
        var inMount = Path.Combine(mount.MountPoint, Evil);
        await using (var file = new FileStream(inMount, FileMode.Open, FileAccess.ReadWrite))
        {
            await file.WriteAsync(Encoding.UTF8.GetBytes("ours, longer"), Token);

            // Someone else changes the object while it is open here: closing it logs a conflict naming the file.
            await using var other = new LocalFolderStore(storeFolder);
            await other.PutAsync(Evil, new MemoryStream(Encoding.UTF8.GetBytes("changed meanwhile")), null, Token);
        }

        await mount.UnmountAsync();
        var text = await File.ReadAllTextAsync(log, Token);
        StringAssert.Contains(text, Shown, text);
        Assert.IsFalse(text.Any(c => c < 0x20 && c != '\n' || c is >= '\u007f' and <= '\u009f'), "raw control characters in the log: " + text);
    }

    private static Task<(int Code, string Output)> RunAsync(params string[] arguments) => Cli.RunAsync(arguments, info =>
    {
        info.StandardOutputEncoding = Encoding.UTF8;
        info.StandardErrorEncoding = Encoding.UTF8;
    });
}
