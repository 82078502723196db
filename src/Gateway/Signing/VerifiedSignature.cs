namespace BucketMount.Gateway.Signing;

/// <summary>A request whose signature checked out, with what the body checks need (chunk signatures chain from it).</summary>
internal sealed record VerifiedSignature
{
    public required SignatureParts Parts { get; init; }

    public required byte[] SigningKey { get; init; }

    public required PayloadMode Payload { get; init; }

    /// <summary>The hex SHA-256 the body must have when <see cref="Payload"/> is Sha256.</summary>
    public string? PayloadSha256 { get; init; }

    public string AccessKeyId => Parts.AccessKeyId;
}
