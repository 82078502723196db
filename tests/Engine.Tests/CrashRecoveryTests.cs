using System.Diagnostics;
using BucketMount.Backends.Local;
using BucketMount.Engine.CrashChild;

namespace BucketMount.Engine.Tests;

/// <summary>
/// Nothing acknowledged by close is lost: a child process closes files whose uploads are delayed, is killed hard
/// (no dispose, no flush), and a new engine on the same cache directory uploads every file with the right bytes.
/// </summary>
[TestClass]
public sealed class CrashRecoveryTests
{
    private const int FileCount = 12;

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task Files_closed_before_a_kill_arrive_after_restart_on_the_same_cache()
    {
        var token = TestContext.CancellationTokenSource.Token;
        var root = Directory.CreateTempSubdirectory("bucketmount-crash-").FullName;
        var storeFolder = Path.Combine(root, "store");
        var cacheFolder = Path.Combine(root, "cache");
        Directory.CreateDirectory(storeFolder);
        try
        {
            await RunChildUntilClosedThenKillAsync(storeFolder, cacheFolder, token);
            var store = new LocalFolderStore(storeFolder);
            for (var i = 0; i < FileCount; i++)
            {
                Assert.IsNull(await store.HeadAsync($"work/file{i}.bin", token), $"file{i} was still waiting for upload when the child was killed");
            }

            await using (var engine = MountEngine.Start(store, new EngineOptions { CacheDirectory = cacheFolder }))
            {
                Assert.HasCount(FileCount, engine.RecoveredPaths);
                await engine.WaitForUploadsAsync(null, token);
            }

            for (var i = 0; i < FileCount; i++)
            {
                using var stored = new MemoryStream();
                await store.ReadToAsync($"work/file{i}.bin", 0, null, stored, null, token);
                CollectionAssert.AreEqual(CrashChildData.For(i), stored.ToArray(), $"file{i} after recovery");
            }

            Assert.AreEqual(0, Directory.GetFiles(Path.Combine(cacheFolder, "journal")).Sum(f => new FileInfo(f).Length), "the journal is empty once everything is uploaded");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    internal static async Task RunChildUntilClosedThenKillAsync(string storeFolder, string cacheFolder, CancellationToken token)
    {
        var child = Path.Combine(AppContext.BaseDirectory, "BucketMount.Engine.CrashChild.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { child, storeFolder, cacheFolder, FileCount.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the crash child");
        try
        {
            var line = await process.StandardOutput.ReadLineAsync(token).AsTask().WaitAsync(TimeSpan.FromSeconds(60), token);
            Assert.AreEqual("CLOSED", line, "the child closed its files; stderr: " + (process.HasExited ? await process.StandardError.ReadToEndAsync(token) : ""));
        }
        finally
        {
            // SIGKILL: no finally blocks, no flush, no dispose in the child.
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(token);
        }
    }
}
