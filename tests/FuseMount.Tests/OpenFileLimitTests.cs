using BucketMount.Backends.Memory;
using BucketMount.Engine;

namespace BucketMount.Fuse.Tests;

/// <summary>The mount takes the open-file limit it is allowed (soft raised to hard), as servers holding many files do.</summary>
[TestClass]
public sealed class OpenFileLimitTests
{
    [TestMethod]
    public async Task Mounting_raises_the_soft_open_file_limit_to_the_hard_limit()
    {
        var (soft, hard) = ProcessLimits.OpenFiles();
        if (hard <= 512 || !File.Exists("/dev/fuse"))
        {
            Assert.Inconclusive($"needs /dev/fuse and a hard open-file limit above 512 (it is {hard})");
        }

        var folder = Path.Combine(Path.GetTempPath(), "fusemount-tests-" + Guid.NewGuid().ToString("N"));
        var mountPoint = Path.Combine(folder, "mnt");
        Directory.CreateDirectory(mountPoint);
        var engine = MountEngine.Start(new MemoryObjectStore(), new EngineOptions { CacheDirectory = Path.Combine(folder, "cache") });
        try
        {
            // As a shell with `ulimit -Sn 512` would start the mount (the usual soft limit is 1,024).
            ProcessLimits.SetOpenFiles(512, hard);
            var host = (FuseMountHost)new FuseHostFactory().Mount(engine, mountPoint);
            try
            {
                Assert.AreEqual(hard, ProcessLimits.SoftOpenFilesFromProc(), "the soft limit in /proc/self/limits after mounting");
            }
            finally
            {
                host.Dispose();
            }
        }
        finally
        {
            ProcessLimits.SetOpenFiles(soft, hard);
            await engine.ShutdownAsync(null, CancellationToken.None);
            Directory.Delete(folder, recursive: true);
        }
    }
}
