namespace BucketMount.Gateway.Signing;

/// <summary>What a request claims about its signature, from the Authorization header or the presigned query.</summary>
internal sealed record SignatureParts
{
    public required string AccessKeyId { get; init; }

    /// <summary>The scope's date, yyyyMMdd.</summary>
    public required string Date { get; init; }

    public required string Region { get; init; }

    public required string Service { get; init; }

    public required IReadOnlyList<string> SignedHeaders { get; init; }

    public required string Signature { get; init; }

    /// <summary>The request's time, yyyyMMddTHHmmssZ.</summary>
    public required string Timestamp { get; init; }

    /// <summary>Seconds a presigned URL stays valid; null for the header form.</summary>
    public int? ExpiresSeconds { get; init; }

    public string Scope => $"{Date}/{Region}/{Service}/aws4_request";
}
