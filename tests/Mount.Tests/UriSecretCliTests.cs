using System.Diagnostics;

namespace BucketMount.Mount.Tests;

/// <summary>
/// A remote URI carrying a credential is refused by every command before anything runs (so it reaches no
/// status, daemon log or background process), and no output repeats the secret.
/// </summary>
[TestClass]
public sealed class UriSecretCliTests
{
    private const string Secret = "hunter2TOPSECRET";

    private string _root = null!;

    public TestContext TestContext { get; set; } = null!;

    [TestInitialize]
    public void CreateRoot() => _root = Directory.CreateTempSubdirectory("bucketmount-urisecret-").FullName;

    [TestCleanup]
    public void DeleteRoot() => Directory.Delete(_root, recursive: true);

    [TestMethod]
    [DataRow("s3://AKIAEXAMPLE:" + Secret + "@bucket")]
    [DataRow("s3://bucket?endpoint=http://user:" + Secret + "@127.0.0.1:9&path_style")]
    [DataRow("s3://bucket?endpoint=http://127.0.0.1:9/&X-Amz-Signature=" + Secret)]
    [DataRow("s3://bucket?AWS_SECRET_ACCESS_KEY=" + Secret)]
    [DataRow("az://acct/cont?sas_token=" + Secret)]
    [DataRow("az://acct/cont?accountkey=" + Secret)]
    public async Task Every_command_refuses_the_uri_without_showing_the_secret(string remote)
    {
        var mountPoint = Path.Combine(_root, "mnt");
        Directory.CreateDirectory(mountPoint);
        string[][] commands =
        [
            ["mount", remote, mountPoint, "--cache-dir", Path.Combine(_root, "cache"), "--daemon"],
            ["mount", remote, mountPoint, "--cache-dir", Path.Combine(_root, "cache")],
            ["ls", remote],
            ["cat", remote, "key"],
            ["put", remote, "key", Path.Combine(_root, "nothing")],
            ["rm", remote, "key"],
        ];

        foreach (var command in commands)
        {
            var (code, output) = await RunAsync(command);

            Assert.AreEqual(2, code, $"{command[0]}: {output}");
            StringAssert.Contains(output, "never in the URI", command[0]);
            Assert.DoesNotContain(Secret, output, $"{command[0]} repeated the secret");
        }

        Assert.IsFalse(MountProcess.IsMounted(mountPoint));
    }

    private static Task<(int Code, string Output)> RunAsync(string[] arguments) => Cli.RunAsync(arguments);
}
