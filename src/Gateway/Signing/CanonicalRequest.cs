using System.Text;

namespace BucketMount.Gateway.Signing;

/// <summary>
/// The SigV4 canonical request as S3 defines it: the path URI-encoded once (S3 neither normalises nor double-encodes),
/// the query sorted and re-encoded, the signed headers trimmed and lower-cased. Built from what is on the wire, so a
/// client that left a character unencoded and one that encoded it sign the same string.
/// </summary>
internal static class CanonicalRequest
{
    public static string Build(string method, string canonicalUri, string canonicalQuery, IReadOnlyList<string> signedHeaders,
        Func<string, string?> headerValue, string payloadHash)
    {
        var builder = new StringBuilder();
        builder.Append(method).Append('\n').Append(canonicalUri).Append('\n').Append(canonicalQuery).Append('\n');
        foreach (var name in signedHeaders)
        {
            builder.Append(name).Append(':').Append(TrimValue(headerValue(name) ?? "")).Append('\n');
        }

        builder.Append('\n').Append(string.Join(';', signedHeaders)).Append('\n').Append(payloadHash);
        return builder.ToString();
    }

    /// <summary>The canonical URI of a raw request path: each segment decoded, then encoded as SigV4 says.</summary>
    public static string CanonicalUri(string rawPath)
    {
        if (rawPath.Length == 0)
        {
            return "/";
        }

        var segments = rawPath.Split('/');
        return string.Join('/', segments.Select(segment => UriEncode(Uri.UnescapeDataString(segment), encodeSlash: true)));
    }

    /// <summary>The canonical query string: pairs decoded, re-encoded, sorted by name then value; one name can be left out.</summary>
    public static string CanonicalQuery(IReadOnlyList<KeyValuePair<string, string>> decodedPairs, string? leaveOut = null)
    {
        var encoded = decodedPairs
            .Where(pair => leaveOut is null || !string.Equals(pair.Key, leaveOut, StringComparison.Ordinal))
            .Select(pair => (Name: UriEncode(pair.Key, true), Value: UriEncode(pair.Value, true)))
            .OrderBy(pair => pair.Name, StringComparer.Ordinal)
            .ThenBy(pair => pair.Value, StringComparer.Ordinal);
        return string.Join('&', encoded.Select(pair => pair.Name + "=" + pair.Value));
    }

    /// <summary>Percent-encodes everything but the unreserved characters (and '/' when asked), upper-case hex, UTF-8.</summary>
    public static string UriEncode(string value, bool encodeSlash)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~' || (c == '/' && !encodeSlash))
            {
                builder.Append(c);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    /// <summary>Header values lose leading and trailing spaces and runs of spaces become one.</summary>
    private static string TrimValue(string value)
    {
        var trimmed = value.Trim();
        if (!trimmed.Contains("  ", StringComparison.Ordinal))
        {
            return trimmed;
        }

        var builder = new StringBuilder(trimmed.Length);
        foreach (var c in trimmed)
        {
            if (c != ' ' || builder.Length == 0 || builder[^1] != ' ')
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
