using BucketMount.Gateway.Http;

namespace BucketMount.Gateway.Signing;

/// <summary>
/// Checks a request's SigV4 signature (header or presigned form) against the secret of its access key, as S3 does:
/// the request time within 15 minutes of ours, a presigned URL not past its expiry, every x-amz-* header signed,
/// signatures compared in constant time. The body is checked later, while it streams (<see cref="PayloadMode"/>).
/// </summary>
internal sealed class SigV4Verifier(Func<string, string?> secretForAccessKey, TimeProvider clock)
{
    public static readonly TimeSpan AllowedSkew = TimeSpan.FromMinutes(15);

    public VerifiedSignature Verify(HttpRequestHead request)
    {
        var parts = SignatureParser.Parse(request);
        var presigned = parts.ExpiresSeconds is not null;
        CheckTime(parts);
        CheckSignedHeaders(request, parts, presigned);

        var secret = secretForAccessKey(parts.AccessKeyId)
            ?? throw new GatewayRefusal(S3ErrorCode.InvalidAccessKeyId, "The access key id is not one this gateway issued.", "unknown access key id");

        // A presigned URL covers no body unless the signer chose to sign x-amz-content-sha256.
        var payloadHash = presigned && !parts.SignedHeaders.Contains("x-amz-content-sha256") ? PayloadModes.UnsignedPayload : request.Header("x-amz-content-sha256")
            ?? throw new GatewayRefusal(S3ErrorCode.InvalidRequest, "Missing required header for this request: x-amz-content-sha256.");
        var mode = PayloadModes.Parse(payloadHash)
            ?? throw new GatewayRefusal(S3ErrorCode.InvalidArgument, "x-amz-content-sha256 must be a SHA-256 in hex, UNSIGNED-PAYLOAD or a supported STREAMING-* value.");

        var canonicalQuery = CanonicalRequest.CanonicalQuery(request.Query, presigned ? "X-Amz-Signature" : null);
        var canonical = CanonicalRequest.Build(request.Method, CanonicalRequest.CanonicalUri(request.RawPath), canonicalQuery, parts.SignedHeaders, request.Header, payloadHash);
        var signingKey = SigV4Crypto.SigningKey(secret, parts.Date, parts.Region, parts.Service);
        var expected = SigV4Crypto.Sign(signingKey, SigV4Crypto.StringToSign(parts.Timestamp, parts.Scope, canonical));
        if (!SigV4Crypto.SameSignature(expected, parts.Signature))
        {
            throw new GatewayRefusal(S3ErrorCode.SignatureDoesNotMatch,
                "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
                "signature mismatch (wrong secret, or the request was changed after signing)");
        }

        return new VerifiedSignature
        {
            Parts = parts, SigningKey = signingKey, Payload = mode,
            PayloadSha256 = mode == PayloadMode.Sha256 ? payloadHash.ToLowerInvariant() : null,
        };
    }

    private void CheckTime(SignatureParts parts)
    {
        SignatureParser.ParseTimestamp(parts.Timestamp, out var signedAt);
        var now = clock.GetUtcNow();
        if (parts.ExpiresSeconds is { } expires)
        {
            if (signedAt - now > AllowedSkew)
            {
                throw new GatewayRefusal(S3ErrorCode.RequestTimeTooSkewed, "The presigned URL is dated in the future.", "presigned URL dated more than 15 minutes ahead");
            }

            if (now > signedAt.AddSeconds(expires))
            {
                throw new GatewayRefusal(S3ErrorCode.AccessDenied, "Request has expired.", "presigned URL past its expiry");
            }

            return;
        }

        if ((now - signedAt).Duration() > AllowedSkew)
        {
            throw new GatewayRefusal(S3ErrorCode.RequestTimeTooSkewed,
                "The difference between the request time and the current time is too large.", $"request time {parts.Timestamp} is more than 15 minutes from the gateway's clock");
        }
    }

    /// <summary>An unsigned x-amz-* header could be added by whoever replays the request (a copy source, an ACL): refused, as S3 does.</summary>
    private static void CheckSignedHeaders(HttpRequestHead request, SignatureParts parts, bool presigned)
    {
        if (!parts.SignedHeaders.Contains("host"))
        {
            throw new GatewayRefusal(S3ErrorCode.AccessDenied, "The host header must be signed.");
        }

        foreach (var name in request.Headers.Keys)
        {
            var covered = parts.SignedHeaders.Contains(name) || (presigned && name == "x-amz-content-sha256");
            if (name.StartsWith("x-amz-", StringComparison.Ordinal) && !covered)
            {
                throw new GatewayRefusal(S3ErrorCode.AccessDenied, $"There were headers present in the request which were not signed: {name}.", $"unsigned header {name}");
            }
        }

        foreach (var name in parts.SignedHeaders)
        {
            if (!request.Headers.ContainsKey(name))
            {
                throw new GatewayRefusal(S3ErrorCode.SignatureDoesNotMatch, $"The signed header {name} is missing from the request.");
            }
        }
    }
}
