using System.Globalization;
using Amazon.S3;
using Amazon.S3.Model;
using BucketMount.TestSupport;

namespace BucketMount.Mount.Tests;

/// <summary>
/// The metadata round trip on s3rver, whose listings carry no user metadata (as S3's), plus what only S3 makes hard:
/// the request count of the first `ls -l`, objects another tool changed, and a mount killed before its index was written.
/// </summary>
[TestClass]
public sealed class S3rverMetadataRemountTests : MetadataRemountTests
{
    private const string Prefix = "mounted/";
    private EmulatorProcess _emulator = null!;
    private string _bucket = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    protected override async Task<string> CreateRemoteAsync(string root)
    {
        _emulator = await Emulators.S3rver;
        _bucket = await S3Buckets.CreateBucketAsync(_emulator, CancellationToken.None);
        return $"s3://{_bucket}/mounted?endpoint={_emulator.Endpoint}&path_style&list_version=1&conditional_writes=false&conditional_reads=false&batch_delete=false";
    }

    [TestMethod]
    public async Task The_first_ls_l_of_2000_files_after_an_empty_cache_remount_costs_at_most_5_requests_and_is_exact()
    {
        var remote = await CreateRemoteAsync(Work);
        await Shell.MustAsync("""
            set -e
            mkdir many
            for i in $(seq -w 1 2000); do echo "$i" > many/f$i; done
            chmod 0755 many/f0*; chmod 0600 many/f1*
            touch -d '2010-01-02 03:04:05.5' many/f00*
            """, Source);
        await using (var mount = await MountProcess.StartAsync(remote, MountPoint, Cache))
        {
            await Shell.MustAsync($"cp -a '{Source}/many' '{MountPoint}/'", timeout: TimeSpan.FromMinutes(10));
            await mount.UnmountAsync();
        }

        Directory.Delete(Cache, recursive: true);
        await using var again = await MountProcess.StartAsync(remote, MountPoint, Cache);
        var before = await RequestsAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var listed = await Shell.MustAsync($"ls -l --time-style=+%s '{MountPoint}/many' | tail -n +2 | wc -l");
        clock.Stop();
        var requests = await RequestsAsync() - before;
        TestContext.WriteLine($"first ls -l of 2000 files after an empty-cache remount: {requests} requests, {clock.Elapsed.TotalSeconds:F2} s (figure only, not a verdict)");
        Assert.AreEqual("2000", listed.Trim());
        Assert.IsLessThanOrEqualTo(5L, requests, "lookup, LIST pages and the index's GET: no HEAD per file");

        var expected = await DescribeAsync(Path.Combine(Source, "many"));
        AssertSameFilesAndLinks(expected, await DescribeAsync(Path.Combine(MountPoint, "many")));
        await again.UnmountAsync();
    }

    [TestMethod]
    public async Task Objects_another_tool_or_another_mount_changed_show_their_own_metadata_not_the_index()
    {
        var remote = await CreateRemoteAsync(Work);
        await Shell.MustAsync("set -e; printf 'a\\n' > same; printf 'b\\n' > replaced; printf 'c\\n' > other-mount; printf 'd\\n' > kept; chmod 0755 same replaced other-mount kept", Source);
        await using (var mount = await MountProcess.StartAsync(remote, MountPoint, Cache))
        {
            await Shell.MustAsync($"cp -a '{Source}/.' '{MountPoint}/'");
            await mount.UnmountAsync();
        }

        // A second mount changes one file; then another tool copies one in place with new metadata (same ETag) and
        // replaces another, through the store directly.
        Directory.Delete(Cache, recursive: true);
        await using (var second = await MountProcess.StartAsync(remote, MountPoint, Cache))
        {
            await Shell.MustAsync($"chmod 0604 '{MountPoint}/other-mount' && chown 42:43 '{MountPoint}/other-mount'");
            await second.UnmountAsync();
        }

        // Another tool replaces one through the store directly. (A copy in place with new metadata keeps the ETag; on
        // s3rver it keeps even Last-Modified, so no listing can tell it: DirectoryIndexTests checks it where a copy
        // gets a new Last-Modified, as on S3.)
        using var s3 = S3Buckets.AdminClient(_emulator);
        var put = new PutObjectRequest { BucketName = _bucket, Key = Prefix + "replaced", ContentBody = "theirs\n" };
        put.Metadata.Add("mode", (0x8000 | 0x180).ToString(CultureInfo.InvariantCulture));
        put.Metadata.Add("uid", "7");
        put.Metadata.Add("gid", "8");
        put.Metadata.Add("mtime", "1500000000");
        await s3.PutObjectAsync(put, Token);

        Directory.Delete(Cache, recursive: true);
        await using var third = await MountProcess.StartAsync(remote, MountPoint, Cache);
        var shown = await Shell.MustAsync($"cd '{MountPoint}' && stat -c '%n %a %u %g %Y' same replaced other-mount kept");
        Assert.AreEqual("same 755 0 0 " + await MtimeAsync("same") + "\nreplaced 600 7 8 1500000000\nother-mount 604 42 43 " + await MtimeAsync("other-mount") + "\nkept 755 0 0 " + await MtimeAsync("kept"),
            shown.Trim());
        await third.UnmountAsync();
    }

    [TestMethod]
    public async Task A_mount_killed_after_changes_before_its_index_was_written_shows_no_stale_metadata_after_remount()
    {
        var remote = await CreateRemoteAsync(Work);
        await Shell.MustAsync("set -e; mkdir a b; printf '#!/bin/sh\\n' > a/script; chmod 0755 a/script; touch a/other; echo old > b/data; chmod 0644 b/data; touch b/other", Source);
        await using (var mount = await MountProcess.StartAsync(remote, MountPoint, Cache))
        {
            await Shell.MustAsync($"cp -a '{Source}/.' '{MountPoint}/'");
            await mount.UnmountAsync();
        }

        using var s3 = S3Buckets.AdminClient(_emulator);
        var indexA = await ETagAsync(s3, Prefix + "a/.bucketmount-index");
        var indexB = await ETagAsync(s3, Prefix + "b/.bucketmount-index");
        Assert.IsNotNull(indexA);
        Assert.IsNotNull(indexB);

        // A directory's index is written once its changes rested for the write-back delay (5 s here), not sooner:
        // b/data's new content lands in the store while b's index still describes the old one; a/script's chmod (a
        // copy in place, same ETag) takes a's index out of the store before it lands.
        Directory.Delete(Cache, recursive: true);
        await using (var doomed = await MountProcess.StartAsync(remote, MountPoint, Cache, "--write-back-delay", "5"))
        {
            await Shell.MustAsync($"echo newer > '{MountPoint}/b/data' && chmod 0604 '{MountPoint}/b/data'");
            await Shell.MustAsync($"chmod 0700 '{MountPoint}/a/script' && chown 9:9 '{MountPoint}/a/script'");
            for (var i = 0; i < 600 && (await s3.GetObjectMetadataAsync(_bucket, Prefix + "b/data", Token)).ContentLength != 6; i++)
            {
                await Task.Delay(100, Token);
            }

            Assert.AreEqual("33216", (await s3.GetObjectMetadataAsync(_bucket, Prefix + "a/script", Token)).Metadata["mode"], "chmod reached the store");
            await doomed.KillAsync();
        }

        if (await ETagAsync(s3, Prefix + "b/.bucketmount-index") != indexB || await ETagAsync(s3, Prefix + "a/.bucketmount-index") is { } a && a != indexA)
        {
            Assert.Inconclusive("the killed mount wrote an index before it was killed: nothing lagged");
        }

        Directory.Delete(Cache, recursive: true);
        await using var after = await MountProcess.StartAsync(remote, MountPoint, Cache);
        Assert.AreEqual("a/script 700 9 9 10\nb/data 604 0 0 6",
            (await Shell.MustAsync($"cd '{MountPoint}' && ls -l a b >/dev/null && stat -c '%n %a %u %g %s' a/script b/data")).Trim());
        await after.UnmountAsync();
    }

    private async Task<string?> ETagAsync(IAmazonS3 s3, string key)
    {
        try
        {
            return (await s3.GetObjectMetadataAsync(_bucket, key, Token)).ETag;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task<string> MtimeAsync(string name) => (await Shell.MustAsync($"stat -c %Y '{Source}/{name}'")).Trim();
}
