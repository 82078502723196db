using System.Xml;
using BucketMount.Gateway.Grants;

namespace BucketMount.Gateway.Policy;

/// <summary>The keys of a DeleteObjects body (&lt;Delete&gt;&lt;Object&gt;&lt;Key&gt;…): every Key element, at any depth, checked against the grant.</summary>
internal static class DeleteRequestKeys
{
    /// <summary>Largest body accepted: 1000 keys of 1024 bytes, escaped, with room to spare.</summary>
    public const int MaxBodyBytes = 8 * 1024 * 1024;

    public static int RequireAllUnderPrefix(byte[] body, Grant grant)
    {
        var count = 0;
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(body), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            while (reader.Read())
            {
                if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "Key")
                {
                    KeyRules.RequireUnderPrefix(reader.ReadElementContentAsString(), grant, "a key of the multi-object delete");
                    count++;
                }
            }
        }
        catch (XmlException)
        {
            throw new GatewayRefusal(S3ErrorCode.InvalidRequest, "The multi-object delete body is not valid XML.", "malformed DeleteObjects body");
        }

        return count;
    }
}
