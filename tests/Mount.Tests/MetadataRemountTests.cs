using System.Globalization;
using System.Text.Json;
using BucketMount.TestSupport;

namespace BucketMount.Mount.Tests;

/// <summary>
/// Issue 16: a tree written through the mount (scripts, private files, other owners, set times, symbolic links of every
/// kind) shows exactly the same on the FIRST look after unmount and a remount with an empty cache, on every store,
/// without `--exact-mtimes`; and programs that copy what stat shows (`sed -i`) keep it. Subclasses choose the store.
/// </summary>
public abstract class MetadataRemountTests
{
    private const string Tree = """
        set -e
        mkdir -p dir/empty private deep/a/b
        chmod 0700 private
        printf '#!/bin/sh\necho hi\n' > dir/script.sh; chmod 0755 dir/script.sh; chown 1234:5678 dir/script.sh
        echo data > dir/data.txt; chmod 0640 dir/data.txt; chown 2345:6789 dir/data.txt
        echo secret > private/key; chmod 0600 private/key
        head -c 100000 /dev/urandom > deep/a/b/blob.bin; chmod 0444 deep/a/b/blob.bin
        ln -s script.sh dir/link-to-script
        ln -s ../nowhere/at/all dir/dangling
        ln -s empty dir/link-to-dir
        ln -s /etc/hostname dir/absolute
        chown -h 4321:8765 dir/link-to-script
        touch -d '2001-02-03 04:05:06.1234567' dir/data.txt dir/script.sh private/key
        touch -d '1999-12-31 23:59:59' deep/a/b/blob.bin
        mkfifo -m 0620 dir/fifo; chown 1234:5678 dir/fifo
        python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind("dir/socket")'
        touch -d '2002-03-04 05:06:07.7654321' dir/fifo
        """;

    private string _root = null!;

    public TestContext TestContext { get; set; } = null!;

    protected string Work => Path.Combine(_root, "work");

    protected string Source => Path.Combine(_root, "work", "src");

    protected string MountPoint => Path.Combine(_root, "mnt");

    protected string Cache => Path.Combine(_root, "cache");

    /// <summary>A remote for a fresh, empty bucket.</summary>
    protected abstract Task<string> CreateRemoteAsync(string root);

    [TestInitialize]
    public void CreateFolders()
    {
        _root = Directory.CreateTempSubdirectory("bucketmount-meta-").FullName;
        Directory.CreateDirectory(Source);
    }

    [TestCleanup]
    public async Task DeleteFolders()
    {
        await Shell.RunAsync($"fusermount3 -u -z '{MountPoint}' 2>/dev/null; rm -rf '{_root}'");
    }

    [TestMethod]
    public async Task A_tree_shows_its_types_modes_owners_times_and_link_targets_on_the_first_look_after_an_empty_cache_remount()
    {
        var remote = await CreateRemoteAsync(_root);
        await Shell.MustAsync(Tree, Source);
        await CopyInAndForgetAsync(remote);
        await using (var again = await MountProcess.StartAsync(remote, MountPoint, Cache))
        {
            // The first look: nothing of the mount is cached yet.
            var shown = await DescribeAsync(MountPoint);
            AssertSameFilesAndLinks(await DescribeAsync(Source), shown);
            await again.UnmountAsync();
        }
    }

    [TestMethod]
    public async Task Sed_in_place_after_an_empty_cache_remount_keeps_the_scripts_mode_and_owner()
    {
        var remote = await CreateRemoteAsync(_root);
        await Shell.MustAsync(Tree, Source);
        await CopyInAndForgetAsync(remote);
        await using (var again = await MountProcess.StartAsync(remote, MountPoint, Cache))
        {
            // ls -l first, as a user does: the listing must not have taught the mount a default mode.
            await Shell.MustAsync($"ls -l '{MountPoint}/dir' >/dev/null && sed -i 's/hi/ho/' '{MountPoint}/dir/script.sh'");
            Assert.AreEqual("755 1234 5678", (await Shell.MustAsync($"stat -c '%a %u %g' '{MountPoint}/dir/script.sh'")).Trim());
            await again.UnmountAsync();
        }

        Directory.Delete(Cache, recursive: true);
        await using (var third = await MountProcess.StartAsync(remote, MountPoint, Cache))
        {
            Assert.AreEqual("755 1234 5678", (await Shell.MustAsync($"stat -c '%a %u %g' '{MountPoint}/dir/script.sh'")).Trim(), "stored so");
            Assert.AreEqual("ho", (await Shell.MustAsync($"'{MountPoint}/dir/script.sh'")).Trim(), "still runs");
            await third.UnmountAsync();
        }
    }

    [TestMethod]
    public async Task Directories_show_their_modes_owners_and_times_on_the_first_look_after_an_empty_cache_remount()
    {
        var remote = await CreateRemoteAsync(_root);
        await Shell.MustAsync(Tree + "\nchown 1234:5678 dir; touch -d '2003-04-05 06:07:08' dir private", Source);
        await CopyInAndForgetAsync(remote);
        await using var again = await MountProcess.StartAsync(remote, MountPoint, Cache);
        var expected = (await DescribeAsync(Source)).Where(e => e.Value.Type == "d").ToDictionary();
        var shown = await DescribeAsync(MountPoint);
        foreach (var (path, entry) in expected)
        {
            Assert.IsTrue(shown.TryGetValue(path, out var seen), $"{path} missing");
            Assert.AreEqual(entry with { Mtime = Seconds(entry.Mtime) }, seen with { Mtime = Seconds(seen.Mtime) }, path);
        }

        await again.UnmountAsync();
    }

    /// <summary>Copies the source tree in through a mount, unmounts and deletes the cache: the next mount starts empty, as in a new sandbox.</summary>
    private async Task CopyInAndForgetAsync(string remote)
    {
        await using (var mount = await MountProcess.StartAsync(remote, MountPoint, Cache))
        {
            await Shell.MustAsync($"cp -a '{Source}/.' '{MountPoint}/'");
            await mount.UnmountAsync();
        }

        Directory.Delete(Cache, recursive: true);
    }

    /// <summary>Every entry below <paramref name="root"/> as lstat shows it (find -printf), by relative path.</summary>
    private protected static async Task<Dictionary<string, Entry>> DescribeAsync(string root)
    {
        var lines = await Shell.MustAsync("find . -mindepth 1 -printf '%p\\t%y\\t%m\\t%U\\t%G\\t%T@\\t%l\\n'", root);
        return lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t'))
            .ToDictionary(f => f[0], f => new Entry(f[1], f[2], f[3], f[4], f[5], f[6]));
    }

    /// <summary>Files and links compared field by field; times to the 100 ns the store keeps. Directories: see Directories_show_their_modes_owners_and_times_on_the_first_look_after_an_empty_cache_remount.</summary>
    private protected static void AssertSameFilesAndLinks(Dictionary<string, Entry> expected, Dictionary<string, Entry> shown)
    {
        CollectionAssert.AreEquivalent(expected.Keys.ToList(), shown.Keys.ToList(), "the same names, including empty directories");
        foreach (var (path, entry) in expected)
        {
            var seen = shown[path];
            Assert.AreEqual(entry.Type, seen.Type, $"{path}: type");
            if (entry.Type == "d")
            {
                continue;
            }

            Assert.AreEqual(entry with { Mtime = Ticks(entry.Mtime) }, seen with { Mtime = Ticks(seen.Mtime) }, path);
        }
    }

    private static string Ticks(string time) => time.Contains('.') ? time[..Math.Min(time.Length, time.IndexOf('.') + 8)] : time;

    private static string Seconds(string time) => time.Split('.')[0];

    /// <summary>The store's request counters of the running mount (status --json), summed.</summary>
    private protected async Task<long> RequestsAsync()
    {
        using var json = JsonDocument.Parse(await Shell.MustAsync($"{Cli.Shell} status '{MountPoint}' --json"));
        return json.RootElement[0].GetProperty("statistics").GetProperty("Store").GetProperty("Requests").EnumerateObject().Sum(p => p.Value.GetInt64());
    }

    private protected sealed record Entry(string Type, string Mode, string Uid, string Gid, string Mtime, string LinkTarget);
}

[TestClass]
public sealed class LocalStoreMetadataRemountTests : MetadataRemountTests
{
    protected override Task<string> CreateRemoteAsync(string root)
    {
        var store = Path.Combine(root, "store");
        Directory.CreateDirectory(store);
        return Task.FromResult("file://" + store);
    }
}

[TestClass]
public sealed class AzuriteMetadataRemountTests : MetadataRemountTests
{
    protected override async Task<string> CreateRemoteAsync(string root)
    {
        var options = await AzuriteContainers.CreateAsync(CancellationToken.None);
        return $"az://{options.Account}/{options.Container}/mounted?endpoint={options.Endpoint}";
    }
}
