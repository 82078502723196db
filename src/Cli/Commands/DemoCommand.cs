using System.CommandLine;
using System.Diagnostics;
using System.Security.Cryptography;
using BucketMount.Backends;
using BucketMount.Backends.Remotes;
using BucketMount.Cli.Configuration;
using BucketMount.Engine;
using BucketMount.Engine.Hosting;
using BucketMount.Fuse;
using BucketMount.Hosting;

namespace BucketMount.Cli.Commands;

/// <summary>
/// Shows bucketmount working end to end: mounts a remote (by default the embedded local-folder store) at a
/// temporary directory, writes, lists and reads back files through the mount with ordinary file calls,
/// unmounts (uploading), and shows the objects that landed in the store. With --objects (or where FUSE is not
/// available) it does the same on the store directly.
/// </summary>
internal static class DemoCommand
{
    private static readonly Dictionary<string, byte[]> Samples = new()
    {
        ["hello.txt"] = "Hello from bucketmount.\n"u8.ToArray(),
        ["notes/ünïcødé name.txt"] = "Keys may hold spaces and any Unicode.\n"u8.ToArray(),
        ["big.bin"] = RandomNumberGenerator.GetBytes(24 * 1024 * 1024),
    };

    public static Command Create()
    {
        var remote = new Argument<string?>("remote")
        {
            Description = "The remote to try; by default the embedded local-folder store in your data directory.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var objects = new Option<bool>("--objects") { Description = "Use the store directly instead of mounting it." };
        var keep = new Option<bool>("--keep") { Description = "Leave the demo files in place." };
        var command = new Command("demo", "Mount a remote (default: the embedded local store), write, list and read back files through it, and unmount.") { remote, objects, keep };
        command.SetAction((parse, ct) => RemoteArgument.RunAsync(parse.GetValue(remote), async (store, uri) =>
        {
            if (!parse.GetValue(objects))
            {
                try
                {
                    FuseLibrary.EnsureAvailable();
                    return await ThroughMountAsync(store, uri, parse.GetValue(remote), parse.GetValue(keep), ct);
                }
                catch (Exception e) when (e is DllNotFoundException or InvalidOperationException or PlatformNotSupportedException)
                {
                    Console.WriteLine($"Cannot mount here ({e.Message}); showing the store directly instead.");
                }
            }

            return await OnObjectsAsync(store, parse.GetValue(keep), ct);
        }));
        return command;
    }

    private static async Task<int> ThroughMountAsync(IObjectStore store, RemoteUri uri, string? remoteText, bool keep, CancellationToken cancellationToken)
    {
        var mountPoint = Directory.CreateTempSubdirectory("bucketmount-demo-").FullName;
        var cache = Directory.CreateTempSubdirectory("bucketmount-demo-cache-").FullName;
        var (_, credentials) = RemoteConfig.Resolve(remoteText);
        var clock = Stopwatch.StartNew();
        var failures = 0;
        try
        {
            var mount = await MountedBucket.MountAsync(uri.ToString(), mountPoint, new MountedBucketOptions
            {
                Engine = new EngineOptions { CacheDirectory = cache },
                Host = new FuseHostFactory(),
                Credentials = credentials,
            }, cancellationToken);
            await using (mount)
            {
                Console.WriteLine($"Mounted {uri} at {mountPoint}");
                var root = Path.Combine(mountPoint, "bucketmount-demo");
                foreach (var (name, data) in Samples)
                {
                    var path = Path.Combine(root, name);
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    await File.WriteAllBytesAsync(path, data, cancellationToken);
                    Console.WriteLine($"  wrote {path} ({data.Length:N0} bytes) with File.WriteAllBytes");
                }

                Console.WriteLine($"Listing {root}:");
                foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
                {
                    Console.WriteLine(entry is DirectoryInfo ? $"  {entry.Name}/" : $"  {entry.Name}  {((FileInfo)entry).Length:N0} bytes");
                }

                foreach (var (name, data) in Samples)
                {
                    var same = (await File.ReadAllBytesAsync(Path.Combine(root, name), cancellationToken)).AsSpan().SequenceEqual(data);
                    failures += same ? 0 : 1;
                    Console.WriteLine($"  read {name}: {(same ? "identical" : "DIFFERENT")}");
                }

                Console.WriteLine("Unmounting (uploads what is pending)…");
            }

            Console.WriteLine($"In the store {store.Description} now:");
            foreach (var name in Samples.Keys)
            {
                var info = await store.HeadAsync("bucketmount-demo/" + name, cancellationToken);
                failures += info?.Size == Samples[name].Length ? 0 : 1;
                Console.WriteLine($"  bucketmount-demo/{name}: {(info is null ? "MISSING" : $"{info.Size:N0} bytes, mtime {info.Metadata?.GetValueOrDefault("mtime")}")}");
            }

            if (!keep)
            {
                await store.DeleteManyAsync([.. Samples.Keys.Select(k => "bucketmount-demo/" + k), "bucketmount-demo/notes/", "bucketmount-demo/"], cancellationToken);
                Console.WriteLine("Removed the demo objects (--keep leaves them).");
            }
        }
        finally
        {
            Directory.Delete(mountPoint, recursive: false);
            Directory.Delete(cache, recursive: true);
        }

        Console.WriteLine($"Done in {clock.Elapsed.TotalSeconds:F2} s.");
        Console.WriteLine(failures == 0 ? "OK: every file read back identical through the mount and is in the store." : $"FAILED: {failures} problem(s).");
        return failures == 0 ? 0 : 1;
    }

    private static async Task<int> OnObjectsAsync(IObjectStore store, bool keep, CancellationToken cancellationToken)
    {
        Console.WriteLine($"Store: {store.Description}");
        var clock = Stopwatch.StartNew();
        foreach (var (name, data) in Samples)
        {
            var key = "bucketmount-demo/" + name;
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
        foreach (var (name, data) in Samples)
        {
            using var back = new MemoryStream();
            await store.ReadToAsync("bucketmount-demo/" + name, 0, null, back, null, cancellationToken);
            var same = back.ToArray().AsSpan().SequenceEqual(data);
            failures += same ? 0 : 1;
            Console.WriteLine($"  read {name}: {(same ? "identical" : "DIFFERENT")}");
        }

        if (!keep)
        {
            await store.DeleteManyAsync(Samples.Keys.Select(k => "bucketmount-demo/" + k).ToList(), cancellationToken);
            Console.WriteLine("Removed the demo objects (--keep leaves them).");
        }

        Console.WriteLine($"Requests: {store.Counters.Snapshot()} in {clock.Elapsed.TotalSeconds:F2} s");
        Console.WriteLine(failures == 0 ? "OK: every object read back identical." : $"FAILED: {failures} object(s) differ.");
        return failures == 0 ? 0 : 1;
    }
}
