using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;

namespace BucketMount.Backends.S3;

/// <summary>The one mapping from AWS SDK failures to the store's typed errors. Messages never carry credentials.</summary>
internal static class S3Errors
{
    public static ObjectStoreException Map(Exception error, string location, string? key) => error switch
    {
        ObjectStoreException typed => typed,
        AmazonS3Exception s3 => FromService(s3, location, key),
        AmazonClientException client when client.Message.Contains("credential", StringComparison.OrdinalIgnoreCase) =>
            new ObjectStoreException(ObjectStoreErrorKind.AccessDenied,
                "no AWS credentials were found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or configure ~/.aws/credentials.", location, key),
        AmazonServiceException service => FromStatus(service.StatusCode, service.ErrorCode, service.Message, location, key, service),
        HttpRequestException or IOException or SocketException or TimeoutException or TaskCanceledException =>
            new ObjectStoreException(ObjectStoreErrorKind.Transient, $"the request failed ({(error is TimeoutException or TaskCanceledException ? "no answer in time" : error.Message.TrimEnd('.'))}); check the endpoint and the network.", location, key, error),
        AmazonClientException client => new ObjectStoreException(ObjectStoreErrorKind.Transient, client.Message, location, key, client),
        _ => new ObjectStoreException(ObjectStoreErrorKind.Transient, error.Message, location, key, error),
    };

    private static ObjectStoreException FromService(AmazonS3Exception error, string location, string? key) =>
        FromStatus(error.StatusCode, error.ErrorCode, error.Message, location, key, error);

    private static ObjectStoreException FromStatus(HttpStatusCode status, string? code, string message, string location, string? key, Exception inner)
    {
        var (kind, advice) = (status, code) switch
        {
            (_, "NoSuchBucket") => (ObjectStoreErrorKind.NotFound, "the bucket does not exist: check its name, the region and the endpoint."),
            (_, "NoSuchKey") or (HttpStatusCode.NotFound, _) => (ObjectStoreErrorKind.NotFound, "no object has this key."),
            (_, "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "AccessDenied" or "ExpiredToken" or "InvalidToken") or (HttpStatusCode.Forbidden, _) =>
                (ObjectStoreErrorKind.AccessDenied, "the store refused the credentials or their permissions: check the access key, secret and policy."),
            (HttpStatusCode.PreconditionFailed, _) or (_, "PreconditionFailed" or "ConditionalRequestConflict") =>
                (ObjectStoreErrorKind.PreconditionFailed, "the object changed since it was read (If-Match / If-None-Match failed)."),
            (HttpStatusCode.Conflict, _) => (ObjectStoreErrorKind.PreconditionFailed, "a concurrent change to the object won."),
            ((HttpStatusCode)429, _) or (_, "SlowDown" or "Throttling" or "RequestLimitExceeded") =>
                (ObjectStoreErrorKind.Throttled, "the store asked us to slow down."),
            (HttpStatusCode.NotImplemented or HttpStatusCode.MethodNotAllowed, _) or (_, "NotImplemented" or "MethodNotAllowed") =>
                (ObjectStoreErrorKind.NotSupported, "this store does not implement the request."),
            (HttpStatusCode.RequestedRangeNotSatisfiable, _) => (ObjectStoreErrorKind.InvalidArgument, "the range is outside the object."),
            _ when (int)status >= 500 => (ObjectStoreErrorKind.Transient, "the store failed; the request can be retried."),
            _ => (ObjectStoreErrorKind.InvalidArgument, "the store rejected the request."),
        };
        return new ObjectStoreException(kind, $"{advice} ({(int)status} {code}: {message})", location, key, inner);
    }
}
