using Amazon.Runtime;
using BucketMount.Backends.Remotes;

namespace BucketMount.Gateway.Forwarding;

/// <summary>
/// The real store behind the gateway, from the REMOTE and credentials exactly as `mount` takes them
/// (endpoint, region, path_style; keys as the S3 store resolves them). <see cref="ToString"/>
/// never shows the secret.
/// </summary>
internal sealed record UpstreamStore
{
    public required string Bucket { get; init; }

    /// <summary>scheme://host[:port] of the store.</summary>
    public required Uri Endpoint { get; init; }

    public required string Region { get; init; }

    public required bool PathStyle { get; init; }

    /// <summary>The store's keys, asked for at each signature (temporary ones from a profile or role renew themselves).</summary>
    public required AWSCredentials Credentials { get; init; }

    /// <summary>Where the keys come from, for the log: never a secret.</summary>
    public string CredentialsSource { get; init; } = "explicit keys";

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

        if (credentials.S3AccessKeyId is not null && credentials.S3SecretAccessKey is null)
        {
            throw new ArgumentException("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: give both, or neither to use a profile or role.");
        }

        AWSCredentials keys;
        try
        {
            keys = ObjectStoreFactory.S3Credentials(remote, credentials);
            keys.GetCredentials(); // fail now, in the operator's words, rather than at the first request
        }
        catch (AmazonClientException e)
        {
            throw new ArgumentException("the gateway found no keys for the store: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, give the config file's remote "
                + "its keys, name a profile (AWS_PROFILE or ?profile=), or run where an AWS role applies. (" + e.Message + ")");
        }

        var profile = remote.Parameters.GetValueOrDefault("profile") ?? credentials.S3Profile;
        var source = credentials.S3AccessKeyId is not null ? "key " + credentials.S3AccessKeyId : profile is not null ? "profile " + profile : "the AWS default chain";
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
            Credentials = keys, CredentialsSource = source,
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

    public override string ToString() => $"s3 bucket {Bucket} at {Endpoint} (region {Region}, {(PathStyle ? "path" : "virtual-host")} style, {CredentialsSource})";

}
