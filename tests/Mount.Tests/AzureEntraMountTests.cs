using BucketMount.Backends;
using BucketMount.Backends.Azure;
using BucketMount.TestSupport;

namespace BucketMount.Mount.Tests;

/// <summary>
/// A mount signed in with Entra ID the way Azure hosts do it: DefaultAzureCredential finds a managed identity
/// (App Service's IDENTITY_ENDPOINT, here a stand-in on 127.0.0.1) and the mount sends only its bearer tokens, which a
/// stand-in in front of Azurite checks. No shared key reaches the mount process.
/// </summary>
[TestClass]
public sealed class AzureEntraMountTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task A_mount_signed_in_through_a_managed_identity_sends_bearer_tokens_and_never_shows_them()
    {
        var root = Directory.CreateTempSubdirectory("bucketmount-entra-").FullName;
        await using var standIn = await EntraStandIn.StartAsync(TestContext.CancellationTokenSource.Token);
        var options = await AzuriteContainers.CreateAsync(CancellationToken.None);
        var mountPoint = Path.Combine(root, "mnt");
        var remote = $"az://{options.Account}/{options.Container}/data?endpoint={standIn.BlobEndpoint}&auth=entra";
        var info = Cli.StartInfo(["mount", remote, mountPoint, "--cache-dir", Path.Combine(root, "cache"), "--log-level", "Debug"]);
        info.Environment.Remove("AZURE_STORAGE_KEY");
        info.Environment["IDENTITY_ENDPOINT"] = standIn.TokenEndpoint;
        info.Environment["IDENTITY_HEADER"] = EntraStandIn.IdentityHeader;
        var big = new byte[20 * 1024 * 1024];
        new Random(20).NextBytes(big);
        try
        {
            await using (var mount = await MountProcess.StartAsync(info, mountPoint))
            {
                await File.WriteAllTextAsync(Path.Combine(mountPoint, "hello.txt"), "signed in");
                await File.WriteAllBytesAsync(Path.Combine(mountPoint, "big.bin"), big);
                var status = await Shell.MustAsync($"{Cli.Shell} status '{mountPoint}' --json");
                var unmounted = await mount.UnmountAsync();

                var tokens = standIn.SeenTokens.Distinct().ToList();
                Assert.IsNotEmpty(tokens, "the mount's requests carried bearer tokens");
                Assert.AreEqual(0, standIn.Refused, "no request went without the issued token");
                Assert.IsGreaterThanOrEqualTo(1, standIn.Issued);
                foreach (var token in tokens)
                {
                    Assert.DoesNotContain(token, mount.ErrorsSoFar + status + unmounted, "a token in the mount's output or status");
                }
            }

            // What the mount wrote is in the container, read with the account key, bypassing the stand-in.
            await using var direct = new AzureBlobObjectStore(options);
            using var read = new MemoryStream();
            await direct.ReadToAsync("data/big.bin", 0, null, read, null, CancellationToken.None);
            CollectionAssert.AreEqual(big, read.ToArray());
            Assert.AreEqual(9, (await direct.HeadAsync("data/hello.txt", CancellationToken.None))!.Size);
        }
        finally
        {
            await Shell.RunAsync($"fusermount3 -u -z '{mountPoint}' 2>/dev/null; true");
            Directory.Delete(root, recursive: true);
        }
    }
}
