namespace BucketMount.Gateway.Policy;

/// <summary>What a request does, as the policy understood it: the operation's S3 name and the key it touches.</summary>
internal sealed record S3Operation
{
    public required string Name { get; init; }

    public required string Bucket { get; init; }

    /// <summary>The object key, decoded; "" for a bucket-level request.</summary>
    public string Key { get; init; } = "";

    /// <summary>x-amz-copy-source as checked: re-encoded one way, so the store copies exactly the key the policy allowed.</summary>
    public string? CopySource { get; init; }

    /// <summary>Query values the store gets instead of the client's, or besides them (an upload id unsealed, a rooted grant's listing prefix).</summary>
    public IReadOnlyDictionary<string, string> QueryOverrides { get; init; } = new Dictionary<string, string>();

    /// <summary>Upload ids in the store's answer that the client gets sealed (<see cref="UploadIdSeal"/>).</summary>
    public UploadIdAnswer UploadIds { get; init; }

    /// <summary>A ListObjectsV2's prefix as the store gets it: its answer's continuation tokens are sealed to it.</summary>
    public string? ListingPrefix { get; init; }

    /// <summary>A rooted grant's view: its XML answers lose the prefix the request was given.</summary>
    public RootedView? Rooted { get; init; }

    /// <summary>An answer whose XML names keys: a rooted grant's sandbox gets it rewritten.</summary>
    public bool AnswerNamesKeys => Name is "ListObjects" or "ListObjectsV2" or "ListMultipartUploads" or "CreateMultipartUpload" or "CompleteMultipartUpload" or "ListParts" or "DeleteObjects";

    public bool IsWrite { get; init; }

    /// <summary>A multi-object delete: its body's keys are checked before it goes on.</summary>
    public bool IsMultiDelete { get; init; }
}

/// <summary>Which upload ids an answer carries: none, all for the request's key, or one per listed upload.</summary>
internal enum UploadIdAnswer
{
    None,
    ForKey,
    Listing,
}
