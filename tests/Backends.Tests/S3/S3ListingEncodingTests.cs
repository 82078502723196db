using System.Collections.Concurrent;
using BucketMount.Backends.S3;

namespace BucketMount.Backends.Tests.S3;

/// <summary>
/// Listings ask for encoding-type=url and decode what S3 encodes. Both emulators ignore the parameter (so the
/// contract suite checks the repair of their raw answers), so a loopback responder answers as S3 does: every key,
/// prefix and marker URL-encoded, a space as '+', and EncodingType=url in the answer.
/// </summary>
[TestClass]
public sealed class S3ListingEncodingTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public async Task Url_encoded_keys_prefixes_and_markers_are_decoded_once(int listVersion)
    {
        var queries = new ConcurrentQueue<string>();
        using var responder = LoopbackResponder.Start(request =>
        {
            var query = request.Url!.Query;
            queries.Enqueue(query);
            var secondPage = query.Contains("marker=", StringComparison.Ordinal) || query.Contains("continuation-token=", StringComparison.Ordinal);
            return secondPage
                ? Page(listVersion, truncated: false, next: null, keys: ["dir/z%2Blast"], prefixes: [])
                : Page(listVersion, truncated: true, next: "dir/a%01b+c%2541", keys: ["dir/a%01b+c%2541"], prefixes: ["dir/sub%01dir/"]);
        });
        await using var store = new S3ObjectStore(new S3StoreOptions
        {
            Bucket = "encoding-bucket",
            Endpoint = responder.Endpoint,
            ForcePathStyle = true,
            AccessKeyId = "AKIDENCODING",
            SecretAccessKey = "encoding-secret",
            ListVersion = listVersion,
        });

        var listed = new List<ListEntry>();
        await foreach (var entry in store.ListAsync("dir/", "/", Token))
        {
            listed.Add(entry);
        }

        CollectionAssert.AreEqual(new[] { "dir/a\u0001b c%41", "dir/sub\u0001dir/", "dir/z+last" }, listed.Select(e => e.Key).ToArray());
        var sent = queries.ToArray();
        Assert.HasCount(2, sent);
        Assert.IsTrue(sent.All(q => q.Contains("encoding-type=url", StringComparison.Ordinal)), "every page asks for URL-encoded keys");
        if (listVersion == 1)
        {
            StringAssert.Contains(sent[1], "marker=dir%2Fa%01b%20c%2541", "the next page starts after the decoded key, sent encoded once");
        }
    }

    [TestMethod]
    public void An_answer_that_ignored_the_encoding_is_encoded_before_the_sdk_reads_it()
    {
        const string raw = "<?xml version=\"1.0\"?><ListBucketResult xmlns=\"x\"><Prefix>p&amp;</Prefix><Contents><Key>a\u0001b&#x2;%41&lt;</Key></Contents></ListBucketResult>";

        var repaired = S3ListingRepair.RepairXml(raw)!;

        StringAssert.Contains(repaired, "<EncodingType>url</EncodingType>");
        StringAssert.Contains(repaired, "<Key>a%01b%02%2541%3C</Key>");
        StringAssert.Contains(repaired, "<Prefix>p%26</Prefix>");
        Assert.IsNull(S3ListingRepair.RepairXml("<ListBucketResult><Contents><Key>plain%41</Key></Contents></ListBucketResult>"), "nothing to repair");
        Assert.IsNull(S3ListingRepair.RepairXml("<ListBucketResult><EncodingType>url</EncodingType><Key>a%01</Key></ListBucketResult>"), "already encoded");
    }

    private static string Page(int version, bool truncated, string? next, string[] keys, string[] prefixes)
    {
        var xml = new System.Text.StringBuilder("""<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>encoding-bucket</Name><Prefix>dir%2F</Prefix><Delimiter>%2F</Delimiter><EncodingType>url</EncodingType>""");
        xml.Append($"<MaxKeys>1000</MaxKeys><IsTruncated>{(truncated ? "true" : "false")}</IsTruncated>");
        if (next is not null)
        {
            xml.Append(version == 1 ? $"<NextMarker>{next}</NextMarker>" : "<NextContinuationToken>opaque+token/=</NextContinuationToken>");
        }

        foreach (var key in keys)
        {
            xml.Append($"<Contents><Key>{key}</Key><LastModified>2026-11-01T10:20:30.000Z</LastModified><ETag>\"e\"</ETag><Size>1</Size></Contents>");
        }

        foreach (var prefix in prefixes)
        {
            xml.Append($"<CommonPrefixes><Prefix>{prefix}</Prefix></CommonPrefixes>");
        }

        return xml.Append("</ListBucketResult>").ToString();
    }
}
