using BucketMount.Backends.S3;

namespace BucketMount.Gateway.Grants;

/// <summary>What `gateway grant` and `gateway revoke` do, apart from parsing their options.</summary>
internal static class GrantCommands
{
    /// <summary>
    /// Mints a grant and returns it as environment lines a sandbox (or `docker run --env-file`) takes as they are:
    /// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, and the grant id to revoke it by, as a comment.
    /// </summary>
    public static string Mint(string? secretFile, string prefix, bool readOnly, bool rooted, string ttl, string? bucket, DateTimeOffset now)
    {
        if (prefix.Length == 0 || prefix.StartsWith('/') || prefix.Split('/').Any(s => s is "." or ".."))
        {
            throw new ArgumentException("--prefix must name a folder of the bucket such as users/123/ (not empty, no leading '/', no '.' or '..').");
        }

        if (bucket is not null)
        {
            S3BucketNames.Validate(bucket);
        }

        var grant = new Grant
        {
            Id = GrantCodec.NewGrantId(), Bucket = bucket ?? "", Prefix = prefix.EndsWith('/') ? prefix : prefix + "/", ReadOnly = readOnly, Rooted = rooted,
            Expires = now + GrantTtl.Parse(ttl),
        };
        var (accessKeyId, secret) = new GrantCodec(GatewaySecret.Load(secretFile)).Mint(grant);
        return $"# {grant}\nBUCKETMOUNT_GRANT_ID={grant.Id}\nAWS_ACCESS_KEY_ID={accessKeyId}\nAWS_SECRET_ACCESS_KEY={secret}\n";
    }

    /// <summary>Adds a grant id to the deny list file (created 0600 when missing); a running gateway picks it up within a second.</summary>
    public static void Revoke(string denyList, string grantId)
    {
        var id = grantId.Trim().ToLowerInvariant();
        if (id.Length != 16 || !id.All(char.IsAsciiHexDigit))
        {
            throw new ArgumentException($"'{grantId}' is not a grant id (16 hex digits, the BUCKETMOUNT_GRANT_ID line `gateway grant` printed).");
        }

        if (File.Exists(denyList) && File.ReadLines(denyList).Any(line => line.Trim().Equals(id, StringComparison.OrdinalIgnoreCase)))
        {
            return;
        }

        File.AppendAllText(denyList, id + "\n");
    }
}
