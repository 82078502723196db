namespace BucketMount.Gateway;

/// <summary>An S3 error as clients know it: the XML code and its HTTP status.</summary>
internal sealed record S3ErrorCode(string Code, int Status)
{
    public static readonly S3ErrorCode AccessDenied = new("AccessDenied", 403);
    public static readonly S3ErrorCode SignatureDoesNotMatch = new("SignatureDoesNotMatch", 403);
    public static readonly S3ErrorCode RequestTimeTooSkewed = new("RequestTimeTooSkewed", 403);
    public static readonly S3ErrorCode ExpiredToken = new("ExpiredToken", 400);
    public static readonly S3ErrorCode InvalidAccessKeyId = new("InvalidAccessKeyId", 403);
    public static readonly S3ErrorCode AuthorizationHeaderMalformed = new("AuthorizationHeaderMalformed", 400);
    public static readonly S3ErrorCode AuthorizationQueryParametersError = new("AuthorizationQueryParametersError", 400);
    public static readonly S3ErrorCode ContentSha256Mismatch = new("XAmzContentSHA256Mismatch", 400);
    public static readonly S3ErrorCode BadDigest = new("BadDigest", 400);
    public static readonly S3ErrorCode InvalidRequest = new("InvalidRequest", 400);
    public static readonly S3ErrorCode InvalidArgument = new("InvalidArgument", 400);
    public static readonly S3ErrorCode MissingContentLength = new("MissingContentLength", 411);
    public static readonly S3ErrorCode NotImplemented = new("NotImplemented", 501);
    public static readonly S3ErrorCode NoSuchBucket = new("NoSuchBucket", 404);
    public static readonly S3ErrorCode NoSuchUpload = new("NoSuchUpload", 404);
    public static readonly S3ErrorCode SlowDown = new("SlowDown", 503);
    public static readonly S3ErrorCode EntityTooLarge = new("EntityTooLarge", 400);
    public static readonly S3ErrorCode InternalError = new("InternalError", 500);
    public static readonly S3ErrorCode BadGateway = new("ServiceUnavailable", 502);
}

/// <summary>
/// The gateway refuses a request: <see cref="ClientMessage"/> goes into the S3 XML error the client sees,
/// <see cref="OperatorReason"/> into the gateway's log. Neither ever holds a secret.
/// </summary>
internal sealed class GatewayRefusal(S3ErrorCode error, string clientMessage, string? operatorReason = null) : Exception(clientMessage)
{
    public S3ErrorCode Error { get; } = error;

    public string ClientMessage { get; } = clientMessage;

    public string OperatorReason { get; } = operatorReason ?? clientMessage;
}
