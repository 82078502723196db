namespace BucketMount.Backends.S3;

/// <summary>
/// Where and how to reach one S3 bucket: AWS, Cloudflare R2, MinIO or any S3-compatible endpoint.
/// Credentials are explicit keys, a named profile, or (neither given) the standard AWS chain. <see cref="ToString"/>
/// never shows the secret key or session token.
/// </summary>
public sealed record S3StoreOptions
{
    public const long FiveGiB = 5L * 1024 * 1024 * 1024;

    public required string Bucket { get; init; }

    /// <summary>Service URL of a non-AWS endpoint (MinIO, R2, an emulator); null for AWS itself.</summary>
    public string? Endpoint { get; init; }

    /// <summary>AWS region, or "auto" for R2.</summary>
    public string Region { get; init; } = "us-east-1";

    /// <summary>Address buckets as endpoint/bucket rather than bucket.endpoint (MinIO and emulators need it).</summary>
    public bool ForcePathStyle { get; init; }

    public string? AccessKeyId { get; init; }

    public string? SecretAccessKey { get; init; }

    public string? SessionToken { get; init; }

    /// <summary>A profile of the AWS shared config and credentials files.</summary>
    public string? Profile { get; init; }

    /// <summary>ListObjects version: 2 (default) or 1 for stores whose V2 paging is broken (rclone's list_version).</summary>
    public int ListVersion { get; init; } = 2;

    /// <summary>Send If-Match / If-None-Match on writes (real S3 honours them since 2024; s3rver ignores them).</summary>
    public bool ConditionalWrites { get; init; } = true;

    /// <summary>Send If-Match on reads.</summary>
    public bool ConditionalReads { get; init; } = true;

    /// <summary>Delete many keys with DeleteObjects (1000 a request); off deletes them one by one (s3rver races on batches).</summary>
    public bool BatchDelete { get; init; } = true;

    /// <summary>Objects larger than this are copied with UploadPartCopy (S3 copies at most 5 GiB in one request).</summary>
    public long MultipartCopyThreshold { get; init; } = FiveGiB;

    /// <summary>Part size of a multipart copy.</summary>
    public long MultipartCopyPartSize { get; init; } = 512L * 1024 * 1024;

    /// <summary>Timeout of one HTTP request.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public string Location => $"s3://{Bucket}";

    /// <summary>Cloudflare R2: the account's S3 endpoint, region "auto".</summary>
    public static S3StoreOptions ForR2(string accountId, string bucket) => new()
    {
        Bucket = bucket,
        Endpoint = $"https://{accountId}.r2.cloudflarestorage.com",
        Region = "auto",
        ForcePathStyle = true,
    };

    /// <summary>
    /// Google Cloud Storage through its S3-compatible XML API (HMAC keys as the access key id and secret): it has no
    /// multi-object delete (DeleteObjects) and ignores If-Match / If-None-Match on PUT, so both are off; it has no
    /// UploadPartCopy, so a copy is always one request (GCS copies objects of any size that way).
    /// </summary>
    public static S3StoreOptions ForGcs(string bucket) => new()
    {
        Bucket = bucket,
        Endpoint = "https://storage.googleapis.com",
        Region = "auto",
        ForcePathStyle = true,
        BatchDelete = false,
        ConditionalWrites = false,
        MultipartCopyThreshold = long.MaxValue,
    };

    /// <summary>Throws InvalidArgument naming the first setting that is wrong.</summary>
    public void Validate()
    {
        S3BucketNames.Validate(Bucket);
        if (ListVersion is not (1 or 2))
        {
            throw Invalid($"list_version {ListVersion} is not 1 or 2.");
        }

        if ((AccessKeyId is null) != (SecretAccessKey is null))
        {
            throw Invalid("an access key id needs its secret access key and the other way round: set both (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) or neither.");
        }

        if (Endpoint is not null && UnixSocketHttpClientFactory.SocketPath(Endpoint) is { } socket && !socket.StartsWith('/'))
        {
            throw Invalid($"the endpoint '{Endpoint}' names a Unix socket by a relative path: give it whole, as in unix:///run/gateway.sock.");
        }

        if (Endpoint is not null && !Uri.TryCreate(Endpoint, UriKind.Absolute, out _))
        {
            throw Invalid($"the endpoint '{Endpoint}' is not an absolute URL such as https://minio.example.com:9000 (or unix:///run/gateway.sock).");
        }

        if (MultipartCopyPartSize < 5L * 1024 * 1024 || MultipartCopyPartSize > FiveGiB)
        {
            throw Invalid("the multipart copy part size must be between 5 MiB and 5 GiB.");
        }
    }

    public override string ToString() =>
        $"{Location} (endpoint {Endpoint ?? "AWS"}, region {Region}, {(ForcePathStyle ? "path" : "virtual-host")} style, " +
        $"credentials {(AccessKeyId is not null ? "explicit key " + AccessKeyId : Profile is not null ? "profile " + Profile : "AWS default chain")}, list v{ListVersion})";

    private ObjectStoreException Invalid(string message) => new(ObjectStoreErrorKind.InvalidArgument, message, Location);
}
