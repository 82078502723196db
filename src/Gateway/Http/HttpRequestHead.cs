namespace BucketMount.Gateway.Http;

/// <summary>
/// A request line and headers as they came on the wire. The raw path and query are kept undecoded: the signature
/// covers them, and the policy decides on their decoded form itself.
/// </summary>
internal sealed class HttpRequestHead
{
    public required string Method { get; init; }

    /// <summary>The path as sent, still percent-encoded, starting with '/'.</summary>
    public required string RawPath { get; init; }

    /// <summary>The query as sent, without '?', still percent-encoded.</summary>
    public string RawQuery { get; init; } = "";

    /// <summary>Header names lower-case; repeated headers joined with ','.</summary>
    public required IReadOnlyDictionary<string, string> Headers { get; init; }

    /// <summary>Whether the client lets the connection carry another request.</summary>
    public bool KeepAlive { get; init; } = true;

    /// <summary>The query's pairs, percent-decoded once; a name without '=' has the value "".</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Query => _query ??= ParseQuery(RawQuery);

    private IReadOnlyList<KeyValuePair<string, string>>? _query;

    public string? Header(string lowerName) => Headers.TryGetValue(lowerName, out var value) ? value : null;

    public string? QueryValue(string name)
    {
        foreach (var pair in Query)
        {
            if (string.Equals(pair.Key, name, StringComparison.Ordinal))
            {
                return pair.Value;
            }
        }

        return null;
    }

    public bool HasQuery(string name) => Query.Any(pair => string.Equals(pair.Key, name, StringComparison.Ordinal));

    public static IReadOnlyList<KeyValuePair<string, string>> ParseQuery(string rawQuery)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var part in rawQuery.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? part : part[..equals];
            var value = equals < 0 ? "" : part[(equals + 1)..];
            pairs.Add(new(Uri.UnescapeDataString(name), Uri.UnescapeDataString(value)));
        }

        return pairs;
    }
}
