using BucketMount.Backends.Local;
using BucketMount.Engine;
using BucketMount.Engine.CrashChild;

// Usage: CrashChild STORE_FOLDER CACHE_FOLDER FILE_COUNT
//    or: CrashChild STORE_FOLDER CACHE_FOLDER rewrite ... (RewriteScenario)
//    or: CrashChild STORE_FOLDER CACHE_FOLDER unclosed SIZE
// Writes FILE_COUNT files (file i holds CrashChildData.For(i)) with a write-back delay of an hour, so every
// upload is still pending when each close returns (parts of 16 MiB: a multipart upload would start at once);
// prints CLOSED and waits to be killed. "unclosed" writes SIZE bytes to /work/open.bin, prints WRITING with the
// file still open, and waits to be killed.
var store = new LocalFolderStore(args[0]);
if (args[2] == "rewrite")
{
    await RewriteScenario.Parse(args[3..]).RunAsync(store, args[1]);
    return;
}

var engine = MountEngine.Start(store, new EngineOptions { CacheDirectory = args[1], WriteBackDelay = TimeSpan.FromHours(1), UploadPartSize = 16L * 1024 * 1024 });
await engine.CreateDirectoryAsync("/work", CancellationToken.None);
if (args[2] == "unclosed")
{
    var open = await engine.OpenAsync("/work/open.bin", OpenFlags.Write | OpenFlags.Create, CancellationToken.None);
    await open.WriteAsync(0, CrashChildData.Content(7, int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture)), CancellationToken.None);
    Console.WriteLine("WRITING");
    await Task.Delay(Timeout.Infinite);
}

for (var i = 0; i < int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture); i++)
{
    await using var handle = await engine.OpenAsync($"/work/file{i}.bin", OpenFlags.Write | OpenFlags.Create, CancellationToken.None);
    await handle.WriteAsync(0, BucketMount.Engine.CrashChild.CrashChildData.For(i), CancellationToken.None);
}

Console.WriteLine("CLOSED");
await Task.Delay(Timeout.Infinite);
