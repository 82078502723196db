namespace BucketMount.Backends.Remotes;

/// <summary>The kinds of store a remote URI can name.</summary>
public enum RemoteKind
{
    /// <summary><c>s3://bucket[/prefix]</c>: Amazon S3 or any S3-compatible endpoint (MinIO, …).</summary>
    S3,

    /// <summary><c>r2://account/bucket[/prefix]</c>: Cloudflare R2, the S3 API at the account's endpoint.</summary>
    R2,

    /// <summary><c>az://account/container[/prefix]</c>: Azure Blob Storage.</summary>
    Azure,

    /// <summary><c>file:///path</c>: a local folder, the embedded default.</summary>
    File,

    /// <summary><c>mem://name</c>: in this process's memory, for tests.</summary>
    Memory,

    /// <summary><c>gs://bucket[/prefix]</c>: Google Cloud Storage through its S3-compatible XML API with HMAC keys.</summary>
    Gcs,
}
