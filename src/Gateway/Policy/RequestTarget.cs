using BucketMount.Gateway.Http;

namespace BucketMount.Gateway.Policy;

/// <summary>The bucket and key a request names, path-style (/bucket/key) or virtual-hosted (bucket.host/key).</summary>
internal static class RequestTarget
{
    public static (string Bucket, string Key) Parse(HttpRequestHead request, string gatewayBucket)
    {
        var host = request.Header("host") ?? "";
        var colon = host.LastIndexOf(':');
        var hostName = colon > 0 && !host.EndsWith(']') ? host[..colon] : host;
        var path = request.RawPath.Length > 0 ? request.RawPath[1..] : "";
        if (hostName.StartsWith(gatewayBucket + ".", StringComparison.OrdinalIgnoreCase))
        {
            return (gatewayBucket, Uri.UnescapeDataString(path));
        }

        var slash = path.IndexOf('/', StringComparison.Ordinal);
        var bucket = Uri.UnescapeDataString(slash < 0 ? path : path[..slash]);
        var key = slash < 0 ? "" : Uri.UnescapeDataString(path[(slash + 1)..]);
        return (bucket, key);
    }
}
