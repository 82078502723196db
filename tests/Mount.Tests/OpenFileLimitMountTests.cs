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
}
