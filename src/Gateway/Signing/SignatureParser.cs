using System.Globalization;
using BucketMount.Gateway.Http;

namespace BucketMount.Gateway.Signing;

/// <summary>Reads the signature's parts from the Authorization header or from a presigned URL's query.</summary>
internal static class SignatureParser
{
    public const int MaxPresignSeconds = 7 * 24 * 3600;

    public static bool IsPresigned(HttpRequestHead request) => request.HasQuery("X-Amz-Signature") || request.HasQuery("X-Amz-Credential");

    public static SignatureParts Parse(HttpRequestHead request) => IsPresigned(request) ? FromQuery(request) : FromHeader(request);

    private static SignatureParts FromHeader(HttpRequestHead request)
    {
        var header = request.Header("authorization")
            ?? throw new GatewayRefusal(S3ErrorCode.AccessDenied, "Anonymous requests are not accepted: sign with the grant's access key.", "unsigned request");
        if (!header.StartsWith(SigV4Crypto.Algorithm + " ", StringComparison.Ordinal))
        {
            throw Malformed("only AWS Signature Version 4 (AWS4-HMAC-SHA256) is accepted");
        }

        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in header[(SigV4Crypto.Algorithm.Length + 1)..].Split(','))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                fields[part[..equals].Trim()] = part[(equals + 1)..].Trim();
            }
        }

        var timestamp = request.Header("x-amz-date") ?? DateHeaderAsTimestamp(request.Header("date"))
            ?? throw Malformed("the request has neither x-amz-date nor Date");
        return Build(fields.GetValueOrDefault("Credential"), fields.GetValueOrDefault("SignedHeaders"), fields.GetValueOrDefault("Signature"), timestamp, null, Malformed);
    }

    private static SignatureParts FromQuery(HttpRequestHead request)
    {
        if (request.QueryValue("X-Amz-Algorithm") != SigV4Crypto.Algorithm)
        {
            throw QueryError("X-Amz-Algorithm must be AWS4-HMAC-SHA256");
        }

        var expiresText = request.QueryValue("X-Amz-Expires") ?? throw QueryError("X-Amz-Expires is missing");
        if (!int.TryParse(expiresText, NumberStyles.None, CultureInfo.InvariantCulture, out var expires) || expires < 1 || expires > MaxPresignSeconds)
        {
            throw QueryError("X-Amz-Expires must be a number of seconds from 1 to 604800");
        }

        var timestamp = request.QueryValue("X-Amz-Date") ?? throw QueryError("X-Amz-Date is missing");
        return Build(request.QueryValue("X-Amz-Credential"), request.QueryValue("X-Amz-SignedHeaders"), request.QueryValue("X-Amz-Signature"), timestamp, expires, QueryError);
    }

    private static SignatureParts Build(string? credential, string? signedHeaders, string? signature, string timestamp, int? expires, Func<string, GatewayRefusal> error)
    {
        if (credential is null || signedHeaders is null || signature is null)
        {
            throw error("the signature needs Credential, SignedHeaders and Signature");
        }

        var scope = credential.Split('/');
        if (scope.Length != 5 || scope[4] != "aws4_request" || scope[0].Length == 0)
        {
            throw error("the Credential must be ACCESS_KEY/yyyyMMdd/region/s3/aws4_request");
        }

        if (scope[3] != "s3")
        {
            throw error($"the credential scope names the service '{scope[3]}', not s3");
        }

        if (!ParseTimestamp(timestamp, out _) || !timestamp.StartsWith(scope[1], StringComparison.Ordinal))
        {
            throw error("the request time is not yyyyMMddTHHmmssZ on the credential scope's date");
        }

        if (signature.Length != 64 || !signature.All(char.IsAsciiHexDigit))
        {
            throw error("the Signature is not 64 hex digits");
        }

        return new SignatureParts
        {
            AccessKeyId = scope[0], Date = scope[1], Region = scope[2], Service = scope[3],
            SignedHeaders = signedHeaders.Split(';', StringSplitOptions.RemoveEmptyEntries),
            Signature = signature, Timestamp = timestamp, ExpiresSeconds = expires,
        };
    }

    public static bool ParseTimestamp(string timestamp, out DateTimeOffset time) =>
        DateTimeOffset.TryParseExact(timestamp, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);

    private static string? DateHeaderAsTimestamp(string? date) =>
        date is not null && DateTimeOffset.TryParseExact(date, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)
            : null;

    private static GatewayRefusal Malformed(string reason) => new(S3ErrorCode.AuthorizationHeaderMalformed, "The authorization header is malformed: " + reason + ".");

    private static GatewayRefusal QueryError(string reason) => new(S3ErrorCode.AuthorizationQueryParametersError, "The presigned URL is malformed: " + reason + ".");
}
