using System.Security;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml;
using BucketMount.Gateway.Signing;

namespace BucketMount.Gateway.Policy;

/// <summary>
/// A rooted grant's view of the store: the grant's prefix is the sandbox's whole bucket. Keys the sandbox names get
/// the prefix put in front on the way in (object keys, listing prefixes and markers, copy sources, the keys of a
/// multi-object delete); keys in the store's XML answers lose it on the way out. Nothing is filtered: every key the
/// store lists lies under the prefix because the store was asked for exactly that prefix, so the answer is complete.
/// </summary>
internal sealed partial class RootedView(string prefix)
{
    public string Prefix => prefix;

    /// <summary>The store's key for the sandbox's key.</summary>
    public string ToStore(string key) => prefix + key;

    /// <summary>
    /// The store's answer as the sandbox sees it: Key, Prefix and the markers without the grant's prefix. In answers
    /// with EncodingType url the prefix is stripped in its encoded form, leaving the store's encoding of the rest as is.
    /// </summary>
    public string ToSandbox(string xml)
    {
        var urlEncoded = xml.Contains("<EncodingType>url</EncodingType>", StringComparison.Ordinal);
        return KeyElement().Replace(xml, m =>
        {
            var value = System.Net.WebUtility.HtmlDecode(m.Groups[2].Value);
            if (value.Length == 0)
            {
                return m.Value;
            }

            var stripped = Strip(value, urlEncoded)
                ?? throw new GatewayRefusal(S3ErrorCode.InternalError, "The gateway failed; retry.", $"store answered {m.Groups[1].Value} '{value}' outside the rooted grant's prefix");
            return $"<{m.Groups[1].Value}>{SecurityElement.Escape(stripped)}</{m.Groups[1].Value}>";
        });
    }

    /// <summary>A multi-object delete body with the prefix put in front of every Key; and its new Content-MD5.</summary>
    public (byte[] Body, string ContentMd5) ToStore(byte[] deleteBody)
    {
        var document = new XmlDocument { XmlResolver = null };
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(deleteBody), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            document.Load(reader);
        }
        catch (XmlException)
        {
            throw new GatewayRefusal(S3ErrorCode.InvalidRequest, "The multi-object delete body is not valid XML.", "malformed DeleteObjects body");
        }

        foreach (var key in document.GetElementsByTagName("*").OfType<XmlElement>().Where(e => e.LocalName == "Key").ToList())
        {
            key.InnerText = ToStore(key.InnerText);
        }

        var output = new MemoryStream();
        using (var writer = XmlWriter.Create(output, new XmlWriterSettings { Encoding = new UTF8Encoding(false) }))
        {
            document.Save(writer);
        }

        var body = output.ToArray();
        return (body, Convert.ToBase64String(MD5.HashData(body)));
    }

    private string? Strip(string value, bool urlEncoded)
    {
        if (!urlEncoded)
        {
            return value.StartsWith(prefix, StringComparison.Ordinal) ? value[prefix.Length..] : null;
        }

        foreach (var encoded in new[] { CanonicalRequest.UriEncode(prefix, encodeSlash: false), CanonicalRequest.UriEncode(prefix, encodeSlash: true), prefix })
        {
            if (value.StartsWith(encoded, StringComparison.Ordinal))
            {
                return value[encoded.Length..];
            }
        }

        return null;
    }

    // Every element of an S3 answer that holds a key or a key prefix; continuation tokens are opaque and stay.
    [GeneratedRegex("<(Key|Prefix|Marker|NextMarker|StartAfter|KeyMarker|NextKeyMarker)>([^<]*)</\\1>")]
    private static partial Regex KeyElement();
}
