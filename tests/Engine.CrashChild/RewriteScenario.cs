using BucketMount.Backends;

namespace BucketMount.Engine.CrashChild;

/// <summary>
/// A closed file rewritten before its upload, the rewrite left unfinished by a kill. Closes /work/file.bin holding
/// Content(1, SizeA), reopens it (with O_TRUNC when <see cref="Truncate"/>) and writes Content(2, SizeB) at
/// <see cref="OffsetB"/>; with <see cref="SizeC"/> that rewrite is closed too and a third one, Content(3, SizeC)
/// with O_TRUNC, is left open. Prints REWRITING with the last write done and its handle still open.
/// </summary>
public sealed record RewriteScenario(bool HoldUploads, int SizeA, bool Truncate, int OffsetB, int SizeB, int? SizeC)
{
    public const string Path = "/work/file.bin";

    public IEnumerable<string> Arguments() =>
        ["rewrite", HoldUploads ? "1" : "0", Number(SizeA), Truncate ? "1" : "0", Number(OffsetB), Number(SizeB), .. SizeC is { } c ? [Number(c)] : Array.Empty<string>()];

    public static RewriteScenario Parse(string[] args) => new(args[0] == "1", int.Parse(args[1], Invariant), args[2] == "1",
        int.Parse(args[3], Invariant), int.Parse(args[4], Invariant), args.Length > 5 ? int.Parse(args[5], Invariant) : null);

    /// <summary>The bytes whose close returned last: what the store must end with after recovery.</summary>
    public byte[] LastClosed()
    {
        if (SizeC is null)
        {
            return CrashChildData.Content(1, SizeA);
        }

        var a = CrashChildData.Content(1, SizeA);
        var b = CrashChildData.Content(2, SizeB);
        var closed = new byte[Truncate ? OffsetB + SizeB : Math.Max(SizeA, OffsetB + SizeB)];
        if (!Truncate)
        {
            a.CopyTo(closed, 0);
        }

        b.CopyTo(closed, OffsetB);
        return closed;
    }

    public async Task RunAsync(IObjectStore store, string cacheFolder)
    {
        // Parts of 5 MiB (the least allowed): a file past that uploads in parts at once, held by HeldUploadsStore.
        var engine = MountEngine.Start(HoldUploads ? new HeldUploadsStore(store) : store,
            new EngineOptions { CacheDirectory = cacheFolder, WriteBackDelay = TimeSpan.FromHours(1), UploadPartSize = 5L * 1024 * 1024 });
        await engine.CreateDirectoryAsync("/work", CancellationToken.None);
        await using (var first = await engine.OpenAsync(Path, OpenFlags.Write | OpenFlags.Create, CancellationToken.None))
        {
            await first.WriteAsync(0, CrashChildData.Content(1, SizeA), CancellationToken.None);
        }

        var second = await engine.OpenAsync(Path, OpenFlags.Write | (Truncate ? OpenFlags.Truncate : 0), CancellationToken.None);
        await second.WriteAsync(OffsetB, CrashChildData.Content(2, SizeB), CancellationToken.None);
        if (SizeC is { } sizeC)
        {
            await second.DisposeAsync();
            var third = await engine.OpenAsync(Path, OpenFlags.Write | OpenFlags.Truncate, CancellationToken.None);
            await third.WriteAsync(0, CrashChildData.Content(3, sizeC), CancellationToken.None);
        }

        Console.WriteLine("REWRITING");
        await Task.Delay(Timeout.Infinite);
    }

    private static IFormatProvider Invariant => System.Globalization.CultureInfo.InvariantCulture;

    private static string Number(int value) => value.ToString(Invariant);
}
