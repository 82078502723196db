namespace BucketMount.Gateway.Http;

/// <summary>Reads one HTTP/1.1 request line and its headers; null when the client closed the connection between requests.</summary>
internal static class HttpHeadReader
{
    private const int MaxLine = 16 * 1024;
    private const int MaxHeaders = 200;

    public static async Task<HttpRequestHead?> ReadAsync(BufferedReader reader, CancellationToken cancellationToken)
    {
        string? requestLine;
        do
        {
            requestLine = await reader.ReadLineAsync(MaxLine, cancellationToken).ConfigureAwait(false);
            if (requestLine is null)
            {
                return null;
            }
        }
        while (requestLine.Length == 0);

        var parts = requestLine.Split(' ');
        if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal) || !parts[1].StartsWith('/'))
        {
            throw new InvalidDataException("the request line is not METHOD /path HTTP/1.x");
        }

        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var count = 0; ; count++)
        {
            var line = await reader.ReadLineAsync(MaxLine, cancellationToken).ConfigureAwait(false) ?? throw new EndOfStreamException("the connection closed inside the headers");
            if (line.Length == 0)
            {
                break;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || count >= MaxHeaders)
            {
                throw new InvalidDataException("a header line is malformed or there are too many");
            }

            var name = line[..colon].Trim().ToLowerInvariant();
            var value = line[(colon + 1)..].Trim();
            headers[name] = headers.TryGetValue(name, out var earlier) ? earlier + "," + value : value;
        }

        var target = parts[1];
        var question = target.IndexOf('?', StringComparison.Ordinal);
        return new HttpRequestHead
        {
            Method = parts[0],
            RawPath = question < 0 ? target : target[..question],
            RawQuery = question < 0 ? "" : target[(question + 1)..],
            Headers = headers,
            KeepAlive = !string.Equals(headers.GetValueOrDefault("connection"), "close", StringComparison.OrdinalIgnoreCase) && parts[2] == "HTTP/1.1",
        };
    }
}
