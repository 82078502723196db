using System.CommandLine;
using System.Diagnostics;
using System.Security.Cryptography;
using BucketMount.Backends;

namespace BucketMount.Cli.Commands;

/// <summary>
/// Writes, lists, reads back and checks a few objects (one large enough for a parallel-part upload) on a remote,
/// by default the embedded local-folder store, then removes them: proof that the store works end to end.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var remote = new Argument<string?>("remote")
        {
            Description = "The remote to try; by default the embedded local-folder store in your data directory.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var keep = new Option<bool>("--keep") { Description = "Leave the demo objects in place." };
        var command = new Command("demo", "Write, list and read back objects on a remote (default: the embedded local store).") { remote, keep };
        command.SetAction((parse, ct) => RemoteArgument.RunAsync(parse.GetValue(remote), (store, uri) => RunAsync(store, parse.GetValue(keep), ct)));
        return command;
    }

    private static async Task<int> RunAsync(IObjectStore store, bool keep, CancellationToken cancellationToken)
    {
        Console.WriteLine($"Store: {store.Description}");
        var clock = Stopwatch.StartNew();
        var samples = new Dictionary<string, byte[]>
        {
            ["bucketmount-demo/hello.txt"] = "Hello from bucketmount.\n"u8.ToArray(),
            ["bucketmount-demo/notes/ünïcødé name.txt"] = "Keys may hold spaces and any Unicode.\n"u8.ToArray(),
            ["bucketmount-demo/big.bin"] = RandomNumberGenerator.GetBytes(24 * 1024 * 1024),
        };

        foreach (var (key, data) in samples)
        {
            var info = data.Length > UploadOptions.DefaultPartSize
                ? await store.UploadAsync(key, new MemoryUploadSource(data), null, cancellationToken)
                : await store.PutAsync(key, new MemoryStream(data, writable: false), null, cancellationToken);
            Console.WriteLine($"  wrote {key} ({info.Size:N0} bytes)");
        }

        Console.WriteLine("Listing bucketmount-demo/:");
        await foreach (var entry in store.ListAsync("bucketmount-demo/", "/", cancellationToken))
        {
            Console.WriteLine(entry.IsPrefix ? $"  {entry.Key}  (folder)" : $"  {entry.Key}  {entry.Object!.Size:N0} bytes");
        }

        var failures = 0;
        foreach (var (key, data) in samples)
        {
            using var back = new MemoryStream();
            await store.ReadToAsync(key, 0, null, back, null, cancellationToken);
            var same = back.ToArray().AsSpan().SequenceEqual(data);
            failures += same ? 0 : 1;
            Console.WriteLine($"  read {key}: {(same ? "identical" : "DIFFERENT")}");
        }

        if (!keep)
        {
            await store.DeleteManyAsync(samples.Keys.ToList(), cancellationToken);
            Console.WriteLine("Removed the demo objects (--keep leaves them).");
        }

        var counters = store.Counters.Snapshot();
        Console.WriteLine($"Requests: {counters} in {clock.Elapsed.TotalSeconds:F2} s");
        Console.WriteLine(failures == 0 ? "OK: every object read back identical." : $"FAILED: {failures} object(s) differ.");
        return failures == 0 ? 0 : 1;
    }
}
