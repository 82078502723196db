using System.Security;
using System.Text.RegularExpressions;

namespace BucketMount.Gateway.Policy;

/// <summary>
/// Binds multipart upload ids to their key, without state: clients see "storeId.mac", the mac an HMAC of bucket, key
/// and the store's id under the gateway's secret. A part, completion, abort or part listing is passed on only with
/// the id the gateway issued for that very key, so no grant can use (or complete into its own key) an upload it did
/// not begin under that key, whatever the store checks itself. Ids stay valid across gateway restarts.
/// </summary>
internal sealed partial class UploadIdSeal(byte[] gatewaySecret)
{
    private readonly HmacSeal _seal = new(gatewaySecret, "bucketmount gateway upload id v1");

    public string Seal(string bucket, string key, string storeId) => _seal.Seal(bucket + "\n" + key, storeId);

    /// <summary>The store's id inside a sealed one; refuses an id not issued for this key.</summary>
    public string Open(string bucket, string key, string sealedId) => _seal.Open(bucket + "\n" + key, sealedId)
        ?? throw new GatewayRefusal(S3ErrorCode.NoSuchUpload, "The specified multipart upload does not exist.", "upload id not issued by this gateway for this key");

    /// <summary>Seals every UploadId of a CreateMultipartUpload or ListParts answer, all for one key.</summary>
    public string SealForKey(string xml, string bucket, string key) =>
        UploadIdElement().Replace(xml, m => Element("UploadId", Seal(bucket, key, Unescape(m.Groups[1].Value))));

    /// <summary>Seals a ListMultipartUploads answer: each Upload's id with its own Key, and the markers with theirs.</summary>
    public string SealListing(string xml, string bucket)
    {
        var urlEncoded = xml.Contains("<EncodingType>url</EncodingType>", StringComparison.Ordinal);
        string KeyOf(string text) => urlEncoded ? Uri.UnescapeDataString(Unescape(text)) : Unescape(text);
        xml = UploadElement().Replace(xml, upload =>
        {
            var key = KeyElement().Match(upload.Value);
            return key.Success ? SealForKey(upload.Value, bucket, KeyOf(key.Groups[1].Value)) : upload.Value;
        });
        foreach (var (idName, keyName) in new[] { ("NextUploadIdMarker", "NextKeyMarker"), ("UploadIdMarker", "KeyMarker") })
        {
            var key = new Regex($"<{keyName}>([^<]*)</{keyName}>").Match(xml);
            xml = new Regex($"<{idName}>([^<]+)</{idName}>").Replace(xml, m => key.Success ? Element(idName, Seal(bucket, KeyOf(key.Groups[1].Value), Unescape(m.Groups[1].Value))) : m.Value);
        }

        return xml;
    }

    private static string Element(string name, string value) => $"<{name}>{SecurityElement.Escape(value)}</{name}>";

    private static string Unescape(string xmlText) => xmlText.Replace("&lt;", "<").Replace("&gt;", ">").Replace("&quot;", "\"").Replace("&apos;", "'").Replace("&amp;", "&");

    [GeneratedRegex("<UploadId>([^<]*)</UploadId>")]
    private static partial Regex UploadIdElement();

    [GeneratedRegex("<Upload>.*?</Upload>", RegexOptions.Singleline)]
    private static partial Regex UploadElement();

    [GeneratedRegex("<Key>([^<]*)</Key>")]
    private static partial Regex KeyElement();
}
