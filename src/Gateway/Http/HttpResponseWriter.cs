using System.Globalization;
using System.Text;

namespace BucketMount.Gateway.Http;

/// <summary>
/// Writes one HTTP/1.1 response: the head, then a body of a declared length or in chunked transfer coding when the
/// length is unknown (a response without a body for HEAD and 1xx/204/304).
/// </summary>
internal sealed class HttpResponseWriter(Stream connection)
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authenticate", "proxy-connection",
    };

    private bool _chunked;

    public bool Started { get; private set; }

    public int Status { get; private set; }

    public long BodyBytes { get; private set; }

    public async Task WriteHeadAsync(int status, string reason, IEnumerable<KeyValuePair<string, string>> headers, long? contentLength, bool hasBody, bool keepAlive, CancellationToken cancellationToken)
    {
        Started = true;
        Status = status;
        var head = new StringBuilder();
        head.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {status} {reason}\r\n");
        foreach (var (name, value) in headers)
        {
            if (!HopByHop.Contains(name) && !string.Equals(name, "content-length", StringComparison.OrdinalIgnoreCase))
            {
                head.Append(name).Append(": ").Append(value.Replace("\r", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal)).Append("\r\n");
            }
        }

        if (contentLength is { } length)
        {
            head.Append(CultureInfo.InvariantCulture, $"Content-Length: {length}\r\n");
        }
        else if (hasBody)
        {
            _chunked = true;
            head.Append("Transfer-Encoding: chunked\r\n");
        }

        head.Append(keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n").Append("\r\n");
        await connection.WriteAsync(Encoding.Latin1.GetBytes(head.ToString()), cancellationToken).ConfigureAwait(false);
    }

    public async Task WriteBodyAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (data.Length == 0)
        {
            return;
        }

        if (_chunked)
        {
            await connection.WriteAsync(Encoding.ASCII.GetBytes(data.Length.ToString("x", CultureInfo.InvariantCulture) + "\r\n"), cancellationToken).ConfigureAwait(false);
        }

        await connection.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        if (_chunked)
        {
            await connection.WriteAsync("\r\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        }

        BodyBytes += data.Length;
    }

    public async Task EndAsync(CancellationToken cancellationToken)
    {
        if (_chunked)
        {
            await connection.WriteAsync("0\r\n\r\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        }

        await connection.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
