using System.Globalization;
using System.Net.Sockets;
using System.Text;
using BucketMount.Gateway.Http;
using BucketMount.Gateway.Signing;

namespace BucketMount.Gateway.Tests;

/// <summary>
/// Requests signed by hand and sent byte for byte over a socket, so a test controls exactly the path ("..", %2F),
/// headers and body the gateway sees (an HTTP client library would normalise them first).
/// </summary>
internal static class RawS3
{
    public sealed record Response(int Status, string Text);

    public static Task<Response> SendAsync(Uri gateway, (string Id, string Secret) key, string method, string rawPath, string rawQuery = "",
        byte[]? signedBody = null, Dictionary<string, string>? amzHeaders = null, byte[]? sentBody = null, DateTimeOffset? at = null, string? unixSocket = null, string? payloadHash = null)
    {
        signedBody ??= [];
        sentBody ??= signedBody;
        var timestamp = (at ?? DateTimeOffset.UtcNow).UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["host"] = gateway.Authority, ["x-amz-date"] = timestamp, ["x-amz-content-sha256"] = payloadHash ?? SigV4Crypto.Sha256Hex(signedBody),
        };
        foreach (var (name, value) in amzHeaders ?? [])
        {
            headers[name] = value;
        }

        var signed = headers.Keys.Order(StringComparer.Ordinal).ToList();
        var canonical = CanonicalRequest.Build(method, CanonicalRequest.CanonicalUri(rawPath), CanonicalRequest.CanonicalQuery(HttpRequestHead.ParseQuery(rawQuery)),
            signed, n => headers.GetValueOrDefault(n), headers["x-amz-content-sha256"]);
        var scope = $"{timestamp[..8]}/us-east-1/s3/aws4_request";
        var signature = SigV4Crypto.Sign(SigV4Crypto.SigningKey(key.Secret, timestamp[..8], "us-east-1", "s3"), SigV4Crypto.StringToSign(timestamp, scope, canonical));
        headers["authorization"] = $"AWS4-HMAC-SHA256 Credential={key.Id}/{scope}, SignedHeaders={string.Join(';', signed)}, Signature={signature}";
        return ExchangeAsync(gateway, method, rawPath, rawQuery, headers, sentBody, unixSocket);
    }

    /// <summary>A presigned GET URL's request, signed at <paramref name="at"/> for <paramref name="expiresSeconds"/>.</summary>
    public static Task<Response> PresignedGetAsync(Uri gateway, (string Id, string Secret) key, string rawPath, DateTimeOffset at, int expiresSeconds)
    {
        var timestamp = at.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var scope = $"{timestamp[..8]}/us-east-1/s3/aws4_request";
        var query = $"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={Uri.EscapeDataString(key.Id + "/" + scope)}&X-Amz-Date={timestamp}" +
            $"&X-Amz-Expires={expiresSeconds}&X-Amz-SignedHeaders=host";
        var canonical = CanonicalRequest.Build("GET", CanonicalRequest.CanonicalUri(rawPath), CanonicalRequest.CanonicalQuery(HttpRequestHead.ParseQuery(query)),
            ["host"], _ => gateway.Authority, PayloadModes.UnsignedPayload);
        var signature = SigV4Crypto.Sign(SigV4Crypto.SigningKey(key.Secret, timestamp[..8], "us-east-1", "s3"), SigV4Crypto.StringToSign(timestamp, scope, canonical));
        return ExchangeAsync(gateway, "GET", rawPath, query + "&X-Amz-Signature=" + signature, new() { ["host"] = gateway.Authority }, []);
    }

    private static async Task<Response> ExchangeAsync(Uri gateway, string method, string rawPath, string rawQuery, Dictionary<string, string> headers, byte[] body, string? unixSocket = null)
    {
        using var socket = unixSocket is null ? new Socket(SocketType.Stream, ProtocolType.Tcp) : new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(unixSocket is null ? new System.Net.DnsEndPoint(gateway.Host, gateway.Port) : new UnixDomainSocketEndPoint(unixSocket));
        await using var stream = new NetworkStream(socket);
        var head = new StringBuilder($"{method} {rawPath}{(rawQuery.Length > 0 ? "?" + rawQuery : "")} HTTP/1.1\r\n");
        foreach (var (name, value) in headers)
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        head.Append(CultureInfo.InvariantCulture, $"content-length: {body.Length}\r\nconnection: close\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));
        await stream.WriteAsync(body);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var text = await reader.ReadToEndAsync();
        var status = int.Parse(text.Split(' ', 3)[1], CultureInfo.InvariantCulture);
        return new Response(status, text);
    }
}
