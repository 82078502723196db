namespace BucketMount.Mount.Tests;

/// <summary>The mount process takes the open-file limit it is allowed: each open file it serves holds a descriptor.</summary>
[TestClass]
public sealed class OpenFileLimitMountTests
{
    private const int LowSoftLimit = 256;

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task A_mount_started_under_a_low_soft_open_file_limit_raises_it_to_the_hard_limit()
    {
        var (code, _, _) = await Shell.RunAsync("command -v prlimit");
        var hard = ulong.Parse((await Shell.MustAsync("ulimit -Hn")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        if (code != 0 || hard <= LowSoftLimit)
        {
            Assert.Inconclusive($"needs prlimit and a hard open-file limit above {LowSoftLimit} (it is {hard})");
        }

        var root = Directory.CreateTempSubdirectory("bucketmount-nofile-").FullName;
        try
        {
            var remote = "file://" + Directory.CreateDirectory(Path.Combine(root, "store")).FullName;
            await using var mount = await MountProcess.StartWithOpenFileLimitAsync(LowSoftLimit, remote, Path.Combine(root, "mnt"), Path.Combine(root, "cache"));
            var limits = await File.ReadAllLinesAsync($"/proc/{mount.Pid}/limits", TestContext.CancellationToken);
            var line = limits.Single(l => l.StartsWith("Max open files", StringComparison.Ordinal));
            var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
            Assert.AreEqual(hard.ToString(System.Globalization.CultureInfo.InvariantCulture), soft, $"the mount's soft limit (started at {LowSoftLimit}): {line}");
            await mount.UnmountAsync();
        }
        finally
        {
            await Shell.RunAsync($"fusermount3 -u -z '{Path.Combine(root, "mnt")}' 2>/dev/null; rm -rf '{root}'");
        }
    }

    /// <summary>
    /// Issue 17 defect 9: under a hard limit of 400 descriptors, 600 files of 200 KB held open at once are written,
    /// `status` answers meanwhile, and after unmount every byte is in the store and no staging file is left. Before,
    /// each open file held a staging descriptor: writes failed past the limit and the mount stopped answering.
    /// </summary>
    [TestMethod]
    public async Task Six_hundred_open_files_under_a_400_descriptor_limit_are_written_and_land()
    {
        const int Limit = 400;
        const int Files = 600;
        const int Size = 200_000;
        var (code, _, _) = await Shell.RunAsync("command -v prlimit");
        if (code != 0)
        {
            Assert.Inconclusive("needs prlimit");
        }

        var token = TestContext.CancellationToken;
        var root = Directory.CreateTempSubdirectory("bucketmount-nofile-").FullName;
        var streams = new List<FileStream>();
        try
        {
            var store = Directory.CreateDirectory(Path.Combine(root, "store")).FullName;
            var mnt = Path.Combine(root, "mnt");
            var cache = Path.Combine(root, "cache");
            await using var mount = await MountProcess.StartWithOpenFileLimitAsync(Limit, "file://" + store, mnt, cache, hardOpenFiles: Limit);
            for (var i = 0; i < Files; i++)
            {
                var stream = new FileStream(Path.Combine(mnt, $"f{i}"), FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
                streams.Add(stream);
                await stream.WriteAsync(Content(i, Size), token);
            }

            var (statusCode, statusOutput) = await Cli.RunAsync(["status", mnt]).WaitAsync(TimeSpan.FromSeconds(60), token);
            Assert.AreEqual(0, statusCode, $"status answers with {Files} files open: {statusOutput}");

            foreach (var stream in streams)
            {
                await stream.DisposeAsync();
            }

            streams.Clear();
            await mount.UnmountAsync();
            for (var i = 0; i < Files; i++)
            {
                CollectionAssert.AreEqual(Content(i, Size), await File.ReadAllBytesAsync(Path.Combine(store, $"f{i}"), token), $"f{i} in the store");
            }

            var staging = Path.Combine(cache, "staging");
            Assert.IsEmpty(Directory.Exists(staging) ? Directory.GetFiles(staging) : [], "no staging file left behind");
        }
        finally
        {
            foreach (var stream in streams)
            {
                try
                {
                    await stream.DisposeAsync();
                }
                catch (IOException)
                {
                }
            }

            await Shell.RunAsync($"fusermount3 -u -z '{Path.Combine(root, "mnt")}' 2>/dev/null; rm -rf '{root}'");
        }
    }

    private static byte[] Content(int file, int size)
    {
        var data = new byte[size];
        new Random(file).NextBytes(data);
        return data;
    }
}
