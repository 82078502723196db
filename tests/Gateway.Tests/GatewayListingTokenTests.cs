using System.Text;
using Amazon.S3.Model;
using BucketMount.TestSupport;

namespace BucketMount.Gateway.Tests;

/// <summary>
/// ListObjectsV2 continuation tokens through the gateway, in front of fauxqs, whose tokens are the base64 of the key to
/// start after (as some real stores' are): paging works with the tokens the gateway hands out, and a token the
/// gateway did not seal for that very listing prefix never reaches the store.
/// </summary>
[TestClass]
public sealed class GatewayListingTokenTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task Listings_page_with_sealed_tokens_and_a_made_up_or_moved_token_is_refused()
    {
        var ct = TestContext.CancellationToken;
        await using var gateway = await GatewayFixture.StartAsync(ct, store: await Emulators.Fauxqs);
        using var admin = S3Buckets.AdminClient(gateway.Store!);
        string[] mine = ["users/123/a", "users/123/b", "users/123/c", "users/123/dir/d"];
        foreach (var key in mine.Append("users/456/secret"))
        {
            await admin.PutObjectAsync(new PutObjectRequest { BucketName = gateway.Bucket, Key = key, ContentBody = key }, ct);
        }

        var (id, secret, _) = gateway.Mint("users/123/");
        using var client = gateway.Client(id, secret);
        var (paged, tokens) = await PageAsync(client, gateway.Bucket, "users/123/", ct);
        CollectionAssert.AreEqual(mine, paged);
        Assert.AreEqual(3, tokens.Count);

        var (rootedId, rootedSecret, _) = gateway.Mint("users/123/", rooted: true);
        using var rooted = gateway.Client(rootedId, rootedSecret);
        CollectionAssert.AreEqual(new[] { "a", "b", "c", "dir/d" }, (await PageAsync(rooted, gateway.Bucket, null, ct)).Keys);

        var key2 = (id, secret);
        var bucket = "/" + gateway.Bucket;
        var issued = Uri.EscapeDataString(tokens[0]);
        var sameListing = await RawS3.SendAsync(gateway.EndpointUri, key2, "GET", bucket, $"list-type=2&prefix=users%2F123%2F&continuation-token={issued}");
        Assert.AreEqual(200, sameListing.Status, sameListing.Text);
        StringAssert.Contains(sameListing.Text, "<Key>users/123/b</Key>");

        foreach (var (what, query) in new[]
        {
            ("fauxqs's own token for a key of another tenant", $"list-type=2&prefix=users%2F123%2F&continuation-token={Token("users/456/")}"),
            ("a made-up token inside the prefix", $"list-type=2&prefix=users%2F123%2F&continuation-token={Token("users/123/a")}"),
            ("an issued token on another prefix", $"list-type=2&prefix=users%2F123%2Fdir%2F&continuation-token={issued}"),
        })
        {
            var response = await RawS3.SendAsync(gateway.EndpointUri, key2, "GET", bucket, query);
            Assert.AreEqual(403, response.Status, what + ": " + response.Text);
            StringAssert.Contains(response.Text, "<Code>AccessDenied</Code>", what);
        }

        StringAssert.Contains(await gateway.WaitForAuditAsync("continuation token not issued"), "reason=\"continuation token not issued by this gateway for prefix 'users/123/'\"");
    }

    private static string Token(string startAfter) => Uri.EscapeDataString(Convert.ToBase64String(Encoding.UTF8.GetBytes(startAfter)));

    private static async Task<(List<string> Keys, List<string> Tokens)> PageAsync(Amazon.S3.AmazonS3Client client, string bucket, string? prefix, CancellationToken ct)
    {
        var keys = new List<string>();
        var tokens = new List<string>();
        string? token = null;
        for (var page = 0; page < 10; page++)
        {
            var answer = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = prefix, MaxKeys = 1, ContinuationToken = token }, ct);
            keys.AddRange(answer.S3Objects.Select(o => o.Key));
            token = answer.NextContinuationToken;
            if (answer.IsTruncated != true)
            {
                break;
            }

            tokens.Add(token);
        }

        return (keys, tokens);
    }
}
