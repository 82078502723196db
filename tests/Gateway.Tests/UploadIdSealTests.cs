using System.Text;
using BucketMount.Gateway.Policy;

namespace BucketMount.Gateway.Tests;

/// <summary>Upload ids sealed to their key in the store's XML answers, and opened only for that key.</summary>
[TestClass]
public sealed class UploadIdSealTests
{
    private static readonly UploadIdSeal Seal = new(Encoding.UTF8.GetBytes("seal-test-gateway-secret-0123456789abcdef"));

    [TestMethod]
    public void A_listing_of_uploads_seals_each_id_to_its_own_url_encoded_key_and_the_markers_to_theirs()
    {
        const string xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListMultipartUploadsResult><Bucket>b</Bucket><KeyMarker>users/1/a</KeyMarker><UploadIdMarker>M1</UploadIdMarker>
            <NextKeyMarker>users/1/c%20d</NextKeyMarker><NextUploadIdMarker>ID2</NextUploadIdMarker><EncodingType>url</EncodingType>
            <Upload><Key>users/1/a%26b</Key><UploadId>ID&amp;1</UploadId></Upload>
            <Upload><Key>users/1/c%20d</Key><UploadId>ID2</UploadId></Upload></ListMultipartUploadsResult>
            """;

        var sealedXml = Seal.SealListing(xml, "b");

        var ids = System.Text.RegularExpressions.Regex.Matches(sealedXml, "<UploadId>([^<]*)</UploadId>").Select(m => m.Groups[1].Value.Replace("&amp;", "&")).ToList();
        Assert.AreEqual("ID&1", Seal.Open("b", "users/1/a&b", ids[0]));
        Assert.AreEqual("ID2", Seal.Open("b", "users/1/c d", ids[1]));
        Assert.ThrowsExactly<GatewayRefusal>(() => Seal.Open("b", "users/1/a&b", ids[1]));
        var next = System.Text.RegularExpressions.Regex.Match(sealedXml, "<NextUploadIdMarker>([^<]*)</NextUploadIdMarker>").Groups[1].Value;
        Assert.AreEqual("ID2", Seal.Open("b", "users/1/c d", next));
        var marker = System.Text.RegularExpressions.Regex.Match(sealedXml, "<UploadIdMarker>([^<]*)</UploadIdMarker>").Groups[1].Value;
        Assert.AreEqual("M1", Seal.Open("b", "users/1/a", marker));
    }

    [TestMethod]
    public void An_id_opens_only_for_its_bucket_and_key()
    {
        var id = Seal.Seal("b", "users/1/k", "store.id-1");

        Assert.AreEqual("store.id-1", Seal.Open("b", "users/1/k", id));
        Assert.AreEqual("NoSuchUpload", Assert.ThrowsExactly<GatewayRefusal>(() => Seal.Open("b", "users/2/k", id)).Error.Code);
        Assert.ThrowsExactly<GatewayRefusal>(() => Seal.Open("other", "users/1/k", id));
        Assert.ThrowsExactly<GatewayRefusal>(() => Seal.Open("b", "users/1/k", "store.id-1"));
    }
}
