using BucketMount.Backends.Memory;

namespace BucketMount.Engine.Tests;

/// <summary>Failures the reference model found, each reduced to the few steps that show it.</summary>
[TestClass]
public sealed class ModelFindingsTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    /// <summary>
    /// FaultyStoreReferenceModelTests seed 12 (found running 15 seeds): a new file, emptied by a second open with
    /// O_TRUNC, closed by its creator while the second handle stays open, was gone after a crash.
    /// </summary>
    [TestMethod]
    [DataRow(58529)]
    [DataRow(1000)]
    public async Task A_new_file_emptied_by_O_TRUNC_and_closed_by_its_creator_comes_back_empty_after_a_crash(int written)
    {
        await using var host = new ModelEngineHost(new MemoryObjectStore(), new ModelScenario { Crashes = true, WriteBackDelay = TimeSpan.FromMilliseconds(300) }, 1);
        var creator = await host.Engine.OpenAsync("/a", OpenFlags.ReadWrite | OpenFlags.Create | OpenFlags.Exclusive, Token);
        await creator.WriteAsync(0, new byte[written], Token);
        var truncating = await host.Engine.OpenAsync("/a", OpenFlags.ReadWrite | OpenFlags.Truncate, Token);
        await creator.FlushAsync(Token);
        await creator.ReleaseAsync(Token);
        TestContext.WriteLine(string.Join(", ", host.Engine.PendingChanges()));

        await host.CrashAndRestartAsync(false, new Random(1), Token);
        await host.Engine.WaitForUploadsAsync(null, Token);
        var shown = await host.Engine.TryGetAttributesAsync("/a", Token);
        Assert.IsNotNull(shown, "the file close returned for is there after the crash");
        Assert.AreEqual(0L, shown.Size, "as close left it: emptied");
        GC.KeepAlive(truncating);
    }
}
