namespace BucketMount.Gateway.Signing;

/// <summary>
/// The chain of aws-chunked signatures: each chunk's signature covers its data and the previous signature, starting
/// from the request's (seed) signature, so chunks can be neither changed, dropped nor reordered.
/// </summary>
internal sealed class ChunkSignatures(VerifiedSignature request)
{
    private string _previous = request.Parts.Signature.ToLowerInvariant();

    public string ExpectedForChunk(ReadOnlySpan<byte> data) => Next("AWS4-HMAC-SHA256-PAYLOAD",
        $"{_previous}\n{SigV4Crypto.EmptySha256}\n{SigV4Crypto.Sha256Hex(data)}");

    public string ExpectedForTrailer(string canonicalTrailers) => Next("AWS4-HMAC-SHA256-TRAILER",
        $"{_previous}\n{SigV4Crypto.Sha256Hex(canonicalTrailers)}");

    /// <summary>Accepts <paramref name="given"/> as the next link when it is the expected one.</summary>
    public bool Accept(string expected, string given)
    {
        if (!SigV4Crypto.SameSignature(expected, given))
        {
            return false;
        }

        _previous = expected;
        return true;
    }

    private string Next(string algorithm, string rest) => SigV4Crypto.Sign(request.SigningKey,
        $"{algorithm}\n{request.Parts.Timestamp}\n{request.Parts.Scope}\n{rest}");
}
