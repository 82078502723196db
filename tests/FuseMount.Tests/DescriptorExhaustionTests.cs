using BucketMount.Backends.Memory;
using BucketMount.Engine;
using BucketMount.Fuse.Interop;
using BucketMount.TestSupport;

namespace BucketMount.Fuse.Tests;

/// <summary>Running out of file descriptors is named as such (EMFILE, a log line), not taken for a full disk (ENOSPC).</summary>
[TestClass]
public sealed class DescriptorExhaustionTests
{
    private const int Files = 200;
    private const long SpillingOffset = 4L * 1024 * 1024;

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationToken;

    [TestMethod]
    public async Task Staging_files_out_of_descriptors_answer_EMFILE_and_say_so_not_ENOSPC()
    {
        var store = new MemoryObjectStore();
        for (var i = 0; i < Files; i++)
        {
            await store.PutAsync($"f{i}", new MemoryStream(new byte[10]), null, Token);
        }

        var cache = Path.Combine(Path.GetTempPath(), "fusemount-tests-" + Guid.NewGuid().ToString("N"));
        var log = new CountingLogger();
        var engine = MountEngine.Start(store, new EngineOptions { CacheDirectory = cache, WriteBackDelay = TimeSpan.Zero }, loggers: log);
        var handles = new List<FileHandle>();
        Exception? failure = null;
        var (soft, hard) = ProcessLimits.OpenFiles();
        try
        {
            // Room for a few staging files, not for all of them: each file written holds one descriptor.
            ProcessLimits.SetOpenFiles((ulong)ProcessLimits.OpenDescriptors() + 16, hard);
            for (var i = 0; i < Files && failure is null; i++)
            {
                try
                {
                    var handle = await engine.OpenAsync($"/f{i}", OpenFlags.ReadWrite, Token);
                    handles.Add(handle);
                    
                    // Past the first bytes a staging file keeps in memory: on disk, one descriptor per file.
                    await handle.WriteAsync(SpillingOffset, new byte[] { 1 }, Token);
                }
                catch (Exception e)
                {
                    failure = e;
                }
            }
        }
        finally
        {
            ProcessLimits.SetOpenFiles(soft, hard);
        }

        try
        {
            Assert.IsNotNull(failure, $"{Files} files written at once under a limit of 16 more descriptors");
            var error = failure as FileSystemException;
            Assert.IsNotNull(error, "an engine error, not " + failure);
            Assert.AreEqual(FsError.TooManyOpenFiles, error.Error, error.Message);
            Assert.AreEqual(-Errno.EMFILE, FuseCallbacks.Fail(error), "the program sees EMFILE (Too many open files)");
            Assert.AreEqual(1, log.Lines.Count(l => l.Contains("Out of file descriptors", StringComparison.Ordinal)), string.Join('\n', log.Lines));
        }
        finally
        {
            foreach (var handle in handles)
            {
                await handle.ReleaseAsync(CancellationToken.None);
            }

            await engine.ShutdownAsync(null, CancellationToken.None);
            Directory.Delete(cache, recursive: true);
        }
    }
}
