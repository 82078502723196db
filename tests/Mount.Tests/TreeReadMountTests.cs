using System.Text.Json;
using BucketMount.TestSupport;

namespace BucketMount.Mount.Tests;

/// <summary>
/// Reading trees of small files through a real mount on s3rver, counted by the mount's own request counters:
/// `tar c` right after `tar x` on the same mount sends no GET, and a cold `tar c` on a fresh mount fetches files
/// ahead of tar with at most one GET per file, while a single `cat` fetches nothing more.
/// </summary>
[TestClass]
public sealed class TreeReadMountTests
{
    private const int Files = 200;
    // /tree and its three subdirectories, each with its metadata index.
    private const int Directories = 4;

    private string _root = null!;

    public TestContext TestContext { get; set; } = null!;

    private string MountPoint => Path.Combine(_root, "mnt");

    private string Cache => Path.Combine(_root, "cache");

    [TestInitialize]
    public void CreateFolders() => _root = Directory.CreateTempSubdirectory("bucketmount-tree-").FullName;

    [TestCleanup]
    public async Task DeleteFolders() => await Shell.RunAsync($"fusermount3 -u -z '{MountPoint}' 2>/dev/null; rm -rf '{_root}'");

    [TestMethod]
    public async Task Tar_c_after_tar_x_sends_no_GET_and_a_cold_tar_c_fetches_ahead_with_at_most_one_GET_per_file()
    {
        var emulator = await Emulators.S3rver;
        var bucket = await S3Buckets.CreateBucketAsync(emulator, CancellationToken.None);
        var remote = $"s3://{bucket}/tree?endpoint={emulator.Endpoint}&path_style&list_version=1&conditional_writes=false&conditional_reads=false&batch_delete=false";

        // 200 files from 100 bytes to 400 KB (in-memory and on-disk staging copies) in three directories.
        await Shell.MustAsync($"""
            set -e
            mkdir -p src/tree/a src/tree/b src/tree/c
            sizes="100 3000 20000 150000 400000"
            i=0
            while [ $i -lt {Files} ]; do
              case $(( i % 4 )) in 0|1) d=a ;; 2) d=b ;; *) d=c ;; esac
              size=$(echo $sizes | cut -d' ' -f$(( i % 5 + 1 )))
              head -c $size /dev/urandom > src/tree/$d/f$(printf %03d $i).js
              i=$(( i + 1 ))
            done
            tar cf src.tar -C src tree
            """, _root);

        await using (var mount = await MountProcess.StartAsync(remote, MountPoint, Cache))
        {
            await Shell.MustAsync($"tar xf '{_root}/src.tar' -C '{MountPoint}'", timeout: TimeSpan.FromMinutes(5));
            await WaitForUploadsAsync();

            var before = await StatisticsAsync();
            await Shell.MustAsync($"tar cf '{_root}/again.tar' -C '{MountPoint}' tree", timeout: TimeSpan.FromMinutes(5));
            var gets = Gets(await StatisticsAsync()) - Gets(before);
            TestContext.WriteLine($"tar c right after tar x of {Files} files: {gets} GETs");
            Assert.AreEqual(0, gets, "reading back what this mount just uploaded must come from its cache");
            await SameTreeAsync("again.tar");
            await mount.UnmountAsync();
        }

        // A fresh mount: nothing cached.
        Directory.Delete(Cache, recursive: true);
        await using (var fresh = await MountProcess.StartAsync(remote, MountPoint, Cache))
        {
            var before = await StatisticsAsync();
            await Shell.MustAsync($"cat '{MountPoint}/tree/a/f004.js' > /dev/null && sleep 1");
            var afterOne = await StatisticsAsync();
            Assert.AreEqual(0, afterOne.GetProperty("FilesFetchedAhead").GetInt64(), "a program that reads one file gets nothing fetched ahead");
            TestContext.WriteLine($"one cat on a fresh mount: {Gets(afterOne) - Gets(before)} GETs (the file, and the directories' indexes)");
            Assert.IsLessThanOrEqualTo(3, Gets(afterOne) - Gets(before), "the file and the indexes of /tree and /tree/a");

            var clock = System.Diagnostics.Stopwatch.StartNew();
            await Shell.MustAsync($"tar cf '{_root}/cold.tar' -C '{MountPoint}' tree", timeout: TimeSpan.FromMinutes(5));
            clock.Stop();
            var after = await StatisticsAsync();
            var gets = Gets(after) - Gets(afterOne);
            var ahead = after.GetProperty("FilesFetchedAhead").GetInt64();
            TestContext.WriteLine($"cold tar c of {Files} files: {gets} GETs, {ahead} files fetched ahead, {clock.Elapsed.TotalSeconds:F2} s (figure only, not a verdict)");
            Assert.IsLessThanOrEqualTo(Files + Directories, gets, "at most one GET per file (and one per directory's index)");
            Assert.IsGreaterThanOrEqualTo(Files / 2, ahead, "tar walking the tree had most files fetched ahead of it");
            await SameTreeAsync("cold.tar");
            await fresh.UnmountAsync();
        }
    }

    private async Task SameTreeAsync(string archive)
    {
        var back = Path.Combine(_root, Path.GetFileNameWithoutExtension(archive));
        Directory.CreateDirectory(back);
        await Shell.MustAsync($"tar xf '{_root}/{archive}' -C '{back}' && diff -r '{_root}/src/tree' '{back}/tree'");
    }

    private async Task WaitForUploadsAsync()
    {
        for (var i = 0; i < 600; i++)
        {
            var statistics = await StatisticsAsync();
            if (statistics.GetProperty("DirtyFiles").GetInt32() == 0 && statistics.GetProperty("RegisteredFiles").GetInt32() == 0)
            {
                return;
            }

            await Task.Delay(200);
        }

        Assert.Fail("the untarred files were not all uploaded within two minutes");
    }

    private async Task<JsonElement> StatisticsAsync()
    {
        using var json = JsonDocument.Parse(await Shell.MustAsync($"{Cli.Shell} status '{MountPoint}' --json"));
        return json.RootElement[0].GetProperty("statistics").Clone();
    }

    private static long Gets(JsonElement statistics) =>
        statistics.GetProperty("Store").GetProperty("Requests").TryGetProperty("Get", out var gets) ? gets.GetInt64() : 0;
}
