using System.Net;
using System.Security;
using System.Text.RegularExpressions;

namespace BucketMount.Gateway.Policy;

/// <summary>
/// ListObjectsV2 continuation tokens, sealed to the listing they continue (bucket and the prefix the store was
/// asked for). Tokens are opaque to clients but not always to stores: some (fauxqs, MinIO-like) carry the key to start
/// after in plain base64, so a client-made token could start a listing anywhere. The gateway hands out only sealed
/// tokens and passes on only a token it sealed for the same prefix, so a listing resumes where the store left it.
/// </summary>
internal sealed partial class ContinuationTokenSeal(byte[] gatewaySecret)
{
    private readonly HmacSeal _seal = new(gatewaySecret, "bucketmount gateway continuation token v1");

    /// <summary>The store's token inside a sealed one; refuses one not issued by this gateway for this listing's prefix.</summary>
    public string Open(string bucket, string prefix, string sealedToken) => _seal.Open(bucket + "\n" + prefix, sealedToken)
        ?? throw new GatewayRefusal(S3ErrorCode.AccessDenied, "Access denied: the continuation token was not issued by this gateway for this listing.",
            "continuation token not issued by this gateway for prefix '" + prefix + "'");

    /// <summary>A ListObjectsV2 answer with its ContinuationToken and NextContinuationToken sealed for this listing.</summary>
    public string SealAnswer(string xml, string bucket, string prefix) => TokenElement().Replace(xml, m =>
        $"<{m.Groups[1].Value}>{SecurityElement.Escape(_seal.Seal(bucket + "\n" + prefix, WebUtility.HtmlDecode(m.Groups[2].Value)))}</{m.Groups[1].Value}>");

    [GeneratedRegex("<((?:Next)?ContinuationToken)>([^<]+)</\\1>")]
    private static partial Regex TokenElement();
}
