using BucketMount.Gateway.Http;

namespace BucketMount.Gateway.Tests;

/// <summary>Builds a request head from the lines of an HTTP request as the signature examples print them.</summary>
internal static class RawRequests
{
    public static HttpRequestHead Parse(params string[] lines)
    {
        var requestLine = lines[0].Split(' ');
        var target = requestLine[1];
        var question = target.IndexOf('?', StringComparison.Ordinal);
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var name = line[..colon].Trim().ToLowerInvariant();
            var value = line[(colon + 1)..].Trim();
            headers[name] = headers.TryGetValue(name, out var earlier) ? earlier + "," + value : value;
        }

        return new HttpRequestHead
        {
            Method = requestLine[0],
            RawPath = question < 0 ? target : target[..question],
            RawQuery = question < 0 ? "" : target[(question + 1)..],
            Headers = headers,
        };
    }
}
