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

    /// <summary>
    /// The sandbox sees <see cref="Prefix"/> as the whole bucket: its key "a.txt" is the store's "users/123/a.txt", its
    /// listing of the bucket root is the listing of the prefix. For clients that list the bucket root and cannot be told
    /// not to (s3fs 1.90 does at mount): the answer is honest because that sandbox's bucket IS the prefix.
    /// </summary>
    public bool Rooted { get; init; }

    public required DateTimeOffset Expires { get; init; }

    public string Mode => (ReadOnly ? "read-only" : "read-write") + (Rooted ? " rooted" : "");

    /// <summary>For the operator: never the secret.</summary>
    public override string ToString() =>
        $"grant {Id}: {Mode} on prefix {Prefix} of {(Bucket.Length == 0 ? "the gateway's bucket" : "bucket " + Bucket)}, expires {Expires.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z";
}
