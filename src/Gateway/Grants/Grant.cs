namespace BucketMount.Gateway.Grants;

/// <summary>
/// What one sandbox may do at the gateway: keys under <see cref="Prefix"/> of <see cref="Bucket"/>, read-only or
/// read-write, until <see cref="Expires"/>. It lives only inside its access key id (authenticated by the gateway's
/// secret), so the gateway keeps no database; <see cref="Id"/> is what the deny list names to revoke it.
/// </summary>
internal sealed record Grant
{
    /// <summary>16 hex digits, random.</summary>
    public required string Id { get; init; }

    /// <summary>The bucket the grant is for; empty for whichever bucket the gateway serves.</summary>
    public string Bucket { get; init; } = "";

    /// <summary>The key prefix, ending in '/'.</summary>
    public required string Prefix { get; init; }

    public bool ReadOnly { get; init; }

    public required DateTimeOffset Expires { get; init; }

    public string Mode => ReadOnly ? "read-only" : "read-write";

    /// <summary>For the operator: never the secret.</summary>
    public override string ToString() =>
        $"grant {Id}: {Mode} on prefix {Prefix} of {(Bucket.Length == 0 ? "the gateway's bucket" : "bucket " + Bucket)}, expires {Expires.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z";
}
