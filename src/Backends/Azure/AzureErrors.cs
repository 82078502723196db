using System.Net;
using System.Net.Sockets;

namespace BucketMount.Backends.Azure;

/// <summary>The one mapping from Blob service answers and transport failures to the store's typed errors.</summary>
internal static class AzureErrors
{
    public static ObjectStoreException FromResponse(HttpResponseMessage response, string location, string? key) =>
        FromStatus(response.StatusCode, response.Headers.TryGetValues("x-ms-error-code", out var values) ? values.FirstOrDefault() : null,
            response.ReasonPhrase, location, key);

    /// <summary>Maps a status and the service's x-ms-error-code (also used for the parts of a batch answer).</summary>
    public static ObjectStoreException FromStatus(HttpStatusCode status, string? code, string? reason, string location, string? key)
    {
        var (kind, advice) = (status, code) switch
        {
            (_, "ContainerNotFound") => (ObjectStoreErrorKind.NotFound, "the container does not exist: check its name and the account."),
            (_, "BlobNotFound") or (HttpStatusCode.NotFound, _) => (ObjectStoreErrorKind.NotFound, "no blob has this key."),
            (HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized, _)
                or (_, "AuthenticationFailed" or "AuthorizationFailure" or "AuthorizationPermissionMismatch" or "NoAuthenticationInformation") =>
                (ObjectStoreErrorKind.AccessDenied, "the service refused the credentials: check the account key or SAS token and its permissions and expiry; with Entra ID (?auth=entra), give the identity a data role on the container such as Storage Blob Data Contributor (Owner and Contributor alone do not grant data access)."),
            (HttpStatusCode.PreconditionFailed, _) or (_, "ConditionNotMet" or "SourceConditionNotMet" or "BlobAlreadyExists") =>
                (ObjectStoreErrorKind.PreconditionFailed, "the blob changed since it was read (If-Match / If-None-Match failed)."),
            ((HttpStatusCode)429, _) or (HttpStatusCode.ServiceUnavailable, _) or (_, "ServerBusy") => (ObjectStoreErrorKind.Throttled, "the service asked us to slow down."),
            (HttpStatusCode.Conflict, _) => (ObjectStoreErrorKind.PreconditionFailed, "a concurrent change to the blob won (a lease, a pending copy or a container being deleted)."),
            (HttpStatusCode.RequestedRangeNotSatisfiable, _) => (ObjectStoreErrorKind.InvalidArgument, "the range is outside the blob."),
            (HttpStatusCode.RequestTimeout, _) or (_, "OperationTimedOut") => (ObjectStoreErrorKind.Transient, "the service timed out; the request can be retried."),
            _ when (int)status >= 500 => (ObjectStoreErrorKind.Transient, "the service failed; the request can be retried."),
            _ => (ObjectStoreErrorKind.InvalidArgument, "the service rejected the request."),
        };
        return new ObjectStoreException(kind, $"{advice} ({(int)status} {code ?? reason})", location, key);
    }

    public static ObjectStoreException FromTransport(Exception error, string location, string? key) => error switch
    {
        ObjectStoreException typed => typed,
        TaskCanceledException => new ObjectStoreException(ObjectStoreErrorKind.Transient, "the request timed out; check the endpoint and the network.", location, key, error),
        HttpRequestException or IOException or SocketException =>
            new ObjectStoreException(ObjectStoreErrorKind.Transient, $"the request failed ({error.Message}); check the endpoint and the network.", location, key, error),
        _ => new ObjectStoreException(ObjectStoreErrorKind.Transient, error.Message, location, key, error),
    };
}
