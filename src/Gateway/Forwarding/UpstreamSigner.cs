using System.Globalization;
using BucketMount.Gateway.Signing;

namespace BucketMount.Gateway.Forwarding;

/// <summary>
/// Signs a request for the real store with the real keys (SigV4 header form): host, every x-amz-* header,
/// Content-MD5 and Content-Type signed; the body UNSIGNED-PAYLOAD unless its SHA-256 is known.
/// </summary>
internal sealed class UpstreamSigner(UpstreamStore store, TimeProvider clock)
{
    public async Task SignAsync(HttpRequestMessage request, string payloadHash, CancellationToken cancellationToken)
    {
        var keys = await store.Credentials.GetCredentialsAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        var now = clock.GetUtcNow().UtcDateTime;
        var timestamp = now.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var date = timestamp[..8];
        var uri = request.RequestUri!;
        request.Headers.Host = uri.IsDefaultPort ? uri.Host : uri.Authority;
        request.Headers.TryAddWithoutValidation("x-amz-date", timestamp);
        request.Headers.TryAddWithoutValidation("x-amz-content-sha256", payloadHash);
        if (keys.UseToken && keys.Token is { } token)
        {
            request.Headers.TryAddWithoutValidation("x-amz-security-token", token);
        }

        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, values) in request.Headers.NonValidated)
        {
            headers[name.ToLowerInvariant()] = string.Join(',', values);
        }

        if (request.Content is not null)
        {
            foreach (var (name, values) in request.Content.Headers.NonValidated)
            {
                headers[name.ToLowerInvariant()] = string.Join(',', values);
            }
        }

        var signed = headers.Keys.Where(n => n is "host" or "content-md5" or "content-type" || n.StartsWith("x-amz-", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();
        var query = HttpRequestHeadQuery(uri);
        var canonical = CanonicalRequest.Build(request.Method.Method, CanonicalRequest.CanonicalUri(uri.AbsolutePath), query, signed, n => headers.GetValueOrDefault(n), payloadHash);
        var scope = $"{date}/{store.Region}/s3/aws4_request";
        var key = SigV4Crypto.SigningKey(keys.SecretKey, date, store.Region, "s3");
        var signature = SigV4Crypto.Sign(key, SigV4Crypto.StringToSign(timestamp, scope, canonical));
        request.Headers.TryAddWithoutValidation("Authorization",
            $"{SigV4Crypto.Algorithm} Credential={keys.AccessKey}/{scope}, SignedHeaders={string.Join(';', signed)}, Signature={signature}");
    }

    private static string HttpRequestHeadQuery(Uri uri) =>
        CanonicalRequest.CanonicalQuery(Http.HttpRequestHead.ParseQuery(uri.Query.TrimStart('?')));
}
