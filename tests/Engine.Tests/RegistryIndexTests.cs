using BucketMount.Backends.Memory;

namespace BucketMount.Engine.Tests;

/// <summary>
/// Issue 17 defect 8: listings and deletes look only at the open and dirty files of their own directory, so work in
/// one directory costs the same however many files are being written elsewhere (an untar behind slow uploads).
/// </summary>
[TestClass]
public sealed class RegistryIndexTests
{
    private const int Busy = 1000;
    private const int Operations = 50;

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task Listings_and_deletes_in_one_directory_do_not_look_at_files_open_in_another()
    {
        await using var fx = new EngineFixture(new MemoryObjectStore());
        await fx.Engine.CreateDirectoryAsync("/busy", Token);
        await fx.Engine.CreateDirectoryAsync("/quiet", Token);
        var handles = new List<FileHandle>();
        for (var i = 0; i < Busy; i++)
        {
            var handle = await fx.Engine.OpenAsync($"/busy/f{i}", OpenFlags.ReadWrite | OpenFlags.Create | OpenFlags.Exclusive, Token);
            await handle.WriteAsync(0, new byte[] { 1 }, Token);
            handles.Add(handle);
        }

        var before = fx.Engine.RegistryExamined;
        for (var i = 0; i < Operations; i++)
        {
            await fx.WriteFileAsync($"/quiet/g{i}", [2], Token);
            Assert.HasCount(1, await fx.Engine.ListDirectoryAsync("/quiet", Token));
            await fx.Engine.DeleteFileAsync($"/quiet/g{i}", Token);
        }

        var examined = fx.Engine.RegistryExamined - before;
        TestContext.WriteLine($"{examined} registered files looked at for {Operations} create/list/delete rounds beside {Busy} open files");
        Assert.IsLessThan(Operations * 10L, examined, "each round looks at its own directory's few files, not at the busy one's");
        Assert.HasCount(Busy, await fx.Engine.ListDirectoryAsync("/busy", Token), "the busy directory still lists its open files");

        foreach (var handle in handles)
        {
            await handle.ReleaseAsync(Token);
        }
    }
}
