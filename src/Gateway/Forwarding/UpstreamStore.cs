
using BucketMount.Backends.Remotes;

namespace BucketMount.Gateway.Forwarding;

/// <summary>
/// The real store behind the gateway, from the REMOTE and credentials exactly as `mount` takes them
/// (endpoint, region, path_style; AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN). <see cref="ToString"/>
/// never shows the secret.
/// </summary>
internal sealed record UpstreamStore
{
    public required string Bucket { get; init; }

    /// <summary>scheme://host[:port] of the store.</summary>
    public required Uri Endpoint { get; init; }

    public required string Region { get; init; }

    public required bool PathStyle { get; init; }

    public required string AccessKeyId { get; init; }

    public required string SecretAccessKey { get; init; }

    public string? SessionToken { get; init; }

    public static UpstreamStore From(RemoteUri remote, RemoteCredentials credentials)
    {
        if (remote.Kind is not (RemoteKind.S3 or RemoteKind.R2))
        {
            throw new ArgumentException($"the gateway serves S3-compatible stores (s3://, r2://), not {remote.Kind} remotes.");
        }

        if (remote.Prefix.Length > 0)
        {
            throw new ArgumentException($"the gateway serves a whole bucket: give s3://{remote.Bucket} and put '{remote.Prefix}/' in each grant's --prefix.");
        }

        if (credentials.S3AccessKeyId is not { } id || credentials.S3SecretAccessKey is not { } secret)
        {
            throw new ArgumentException("the gateway needs the store's keys in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (profiles and instance roles are not supported yet).");
        }

        var parameters = remote.Parameters;
        var r2 = remote.Kind == RemoteKind.R2;
        var region = parameters.GetValueOrDefault("region") ?? (r2 ? "auto" : "us-east-1");
        var endpointText = parameters.GetValueOrDefault("endpoint") ?? (r2 ? $"https://{remote.Account}.r2.cloudflarestorage.com" : $"https://s3.{region}.amazonaws.com");
        if (!Uri.TryCreate(endpointText, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"the endpoint '{endpointText}' is not an absolute http(s) URL such as https://minio.example.com:9000.");
        }

        // As the SDK does for `mount`: path style when asked, for R2, and for hosts a bucket cannot be a subdomain of.
        var pathStyle = parameters.TryGetValue("path_style", out var style) ? style is "true" or "1" or "yes" or "on"
            : r2 || endpoint.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 || endpoint.IsLoopback || remote.Bucket!.Contains('.');
        return new UpstreamStore
        {
            Bucket = remote.Bucket!, Endpoint = new Uri(endpoint.GetLeftPart(UriPartial.Authority)), Region = region, PathStyle = pathStyle,
            AccessKeyId = id, SecretAccessKey = secret, SessionToken = credentials.S3SessionToken,
        };
    }

    /// <summary>The store's URL of a key ("" for the bucket), each segment encoded as SigV4 canonicalises it.</summary>
    public Uri UrlFor(string key, string canonicalQuery)
    {
        var encodedKey = Signing.CanonicalRequest.UriEncode(key, encodeSlash: false);
        var authority = PathStyle ? Endpoint.Authority : $"{Bucket}.{Endpoint.Authority}";
        var path = PathStyle ? "/" + Signing.CanonicalRequest.UriEncode(Bucket, true) + (key.Length > 0 ? "/" + encodedKey : "") : "/" + encodedKey;
        return new Uri($"{Endpoint.Scheme}://{authority}{path}{(canonicalQuery.Length > 0 ? "?" + canonicalQuery : "")}");
    }

    public override string ToString() => $"s3 bucket {Bucket} at {Endpoint} (region {Region}, {(PathStyle ? "path" : "virtual-host")} style, key {AccessKeyId})";

}
