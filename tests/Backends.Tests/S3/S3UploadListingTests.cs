using System.Collections.Concurrent;
using System.Net;
using System.Text;
using BucketMount.Backends.S3;

namespace BucketMount.Backends.Tests.S3;

/// <summary>
/// Listing unfinished multipart uploads page by page. Neither emulator implements ListMultipartUploads (s3rver
/// refuses it, fauxqs answers an object listing), so a loopback responder answers with the documented XML.
/// </summary>
[TestClass]
public sealed class S3UploadListingTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task Unfinished_uploads_are_listed_across_pages_with_both_markers()
    {
        var queries = new ConcurrentQueue<string>();
        using var responder = LoopbackResponder.Start(request =>
        {
            var query = request.Url!.Query;
            queries.Enqueue(query);
            return query.Contains("key-marker=", StringComparison.Ordinal)
                ? Page(truncated: false, null, null, ("dir/b.bin", "id-3", "2026-11-02T00:00:00.000Z"))
                : Page(truncated: true, "dir/b.bin", "id-2", ("dir/a.bin", "id-1", "2026-11-01T10:20:30.000Z"), ("dir/b.bin", "id-2", "2026-11-01T11:00:00.000Z"));
        });
        await using var store = new S3ObjectStore(new S3StoreOptions
        {
            Bucket = "listing-bucket",
            Endpoint = responder.Endpoint,
            ForcePathStyle = true,
            AccessKeyId = "AKIDLISTING",
            SecretAccessKey = "listing-secret",
        });

        var listed = new List<UnfinishedPartUpload>();
        await foreach (var upload in store.ListUnfinishedPartUploadsAsync("dir/", TestContext.CancellationTokenSource.Token))
        {
            listed.Add(upload);
        }

        CollectionAssert.AreEqual(new[] { "id-1", "id-2", "id-3" }, listed.Select(u => u.UploadId).ToArray());
        Assert.AreEqual("dir/a.bin", listed[0].Key);
        Assert.AreEqual(new DateTimeOffset(2026, 11, 1, 10, 20, 30, TimeSpan.Zero), listed[0].Initiated);
        var sent = queries.ToArray();
        Assert.HasCount(2, sent);
        StringAssert.Contains(sent[0], "prefix=dir%2F");
        StringAssert.Contains(sent[1], "key-marker=dir%2Fb.bin");
        StringAssert.Contains(sent[1], "upload-id-marker=id-2");
    }

    [TestMethod]
    public async Task Url_encoded_keys_and_key_markers_are_decoded()
    {
        var queries = new ConcurrentQueue<string>();
        using var responder = LoopbackResponder.Start(request =>
        {
            var query = request.Url!.Query;
            queries.Enqueue(query);
            return query.Contains("key-marker=", StringComparison.Ordinal)
                ? Page(truncated: false, null, null, encoded: true, ("dir/z%2B", "id-2", "2026-11-02T00:00:00.000Z"))
                : Page(truncated: true, "dir/a%01b+c", "id-1", encoded: true, ("dir/a%01b+c", "id-1", "2026-11-01T10:20:30.000Z"));
        });
        await using var store = new S3ObjectStore(new S3StoreOptions
        {
            Bucket = "listing-bucket",
            Endpoint = responder.Endpoint,
            ForcePathStyle = true,
            AccessKeyId = "AKIDLISTING",
            SecretAccessKey = "listing-secret",
        });

        var listed = new List<UnfinishedPartUpload>();
        await foreach (var upload in store.ListUnfinishedPartUploadsAsync("dir/", TestContext.CancellationTokenSource.Token))
        {
            listed.Add(upload);
        }

        CollectionAssert.AreEqual(new[] { "dir/a\u0001b c", "dir/z+" }, listed.Select(u => u.Key).ToArray());
        var sent = queries.ToArray();
        Assert.IsTrue(sent.All(q => q.Contains("encoding-type=url", StringComparison.Ordinal)), "every page asks for URL-encoded keys");
        StringAssert.Contains(sent[1], "key-marker=dir%2Fa%01b%20c");
    }

    private static string Page(bool truncated, string? nextKey, string? nextUploadId, params (string Key, string Id, string Initiated)[] uploads) =>
        Page(truncated, nextKey, nextUploadId, encoded: false, uploads);

    private static string Page(bool truncated, string? nextKey, string? nextUploadId, bool encoded, params (string Key, string Id, string Initiated)[] uploads)
    {
        var xml = new StringBuilder("""<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>listing-bucket</Bucket>""");
        if (encoded)
        {
            xml.Append("<EncodingType>url</EncodingType>");
        }

        xml.Append($"<Prefix>dir/</Prefix><MaxUploads>2</MaxUploads><IsTruncated>{(truncated ? "true" : "false")}</IsTruncated>");
        if (nextKey is not null)
        {
            xml.Append($"<NextKeyMarker>{nextKey}</NextKeyMarker><NextUploadIdMarker>{nextUploadId}</NextUploadIdMarker>");
        }

        foreach (var (key, id, initiated) in uploads)
        {
            xml.Append($"<Upload><Key>{key}</Key><UploadId>{id}</UploadId><Initiated>{initiated}</Initiated><StorageClass>STANDARD</StorageClass></Upload>");
        }

        return xml.Append("</ListMultipartUploadsResult>").ToString();
    }
}
