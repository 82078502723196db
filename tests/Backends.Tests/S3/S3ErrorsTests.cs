using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using BucketMount.Backends.S3;

namespace BucketMount.Backends.Tests.S3;

/// <summary>The one mapping from SDK failures to store errors: every status and code lands on the right kind, with the location and key.</summary>
[TestClass]
public sealed class S3ErrorsTests
{
    private const string Location = "s3://mapped-bucket";

    [TestMethod]
    [DataRow(404, "NoSuchKey", ObjectStoreErrorKind.NotFound, "no object has this key")]
    [DataRow(404, "NoSuchBucket", ObjectStoreErrorKind.NotFound, "bucket does not exist")]
    [DataRow(404, "NotFound", ObjectStoreErrorKind.NotFound, "no object")]
    [DataRow(403, "AccessDenied", ObjectStoreErrorKind.AccessDenied, "check the access key")]
    [DataRow(403, "InvalidAccessKeyId", ObjectStoreErrorKind.AccessDenied, "check the access key")]
    [DataRow(403, "SignatureDoesNotMatch", ObjectStoreErrorKind.AccessDenied, "check the access key")]
    [DataRow(400, "ExpiredToken", ObjectStoreErrorKind.AccessDenied, "credentials")]
    [DataRow(412, "PreconditionFailed", ObjectStoreErrorKind.PreconditionFailed, "changed")]
    [DataRow(409, "ConditionalRequestConflict", ObjectStoreErrorKind.PreconditionFailed, "changed")]
    [DataRow(503, "SlowDown", ObjectStoreErrorKind.Throttled, "slow down")]
    [DataRow(429, "TooManyRequests", ObjectStoreErrorKind.Throttled, "slow down")]
    [DataRow(500, "InternalError", ObjectStoreErrorKind.Transient, "retried")]
    [DataRow(503, "ServiceUnavailable", ObjectStoreErrorKind.Transient, "retried")]
    [DataRow(501, "NotImplemented", ObjectStoreErrorKind.NotSupported, "does not implement")]
    [DataRow(400, "InvalidArgument", ObjectStoreErrorKind.InvalidArgument, "rejected")]
    [DataRow(400, "InvalidBucketName", ObjectStoreErrorKind.InvalidArgument, "rejected")]
    public void Service_errors_map_by_status_and_code(int status, string code, ObjectStoreErrorKind expected, string advice)
    {
        var error = S3Errors.Map(new AmazonS3Exception("server said so", ErrorType.Sender, code, "req-1", (HttpStatusCode)status), Location, "dir/key.txt");

        Assert.AreEqual(expected, error.Kind);
        StringAssert.Contains(error.Message, advice);
        StringAssert.Contains(error.Message, Location);
        StringAssert.Contains(error.Message, "dir/key.txt");
        StringAssert.Contains(error.Message, code);
        Assert.AreEqual(expected is ObjectStoreErrorKind.Throttled or ObjectStoreErrorKind.Transient, error.IsRetryable);
    }

    [TestMethod]
    public void Network_failures_are_transient()
    {
        Exception[] failures =
        [
            new HttpRequestException("connection refused"),
            new IOException("connection reset"),
            new SocketException((int)SocketError.ConnectionReset),
            new TimeoutException("timed out"),
            new TaskCanceledException("the request timed out"),
        ];

        foreach (var failure in failures)
        {
            var error = S3Errors.Map(failure, Location, "k");

            Assert.AreEqual(ObjectStoreErrorKind.Transient, error.Kind, failure.GetType().Name);
            Assert.AreSame(failure, error.InnerException);
            StringAssert.Contains(error.Message, "endpoint");
            Assert.DoesNotContain(failure.GetType().Name, error.Message, StringComparison.Ordinal, "the user reads what failed, not a .NET type: " + error.Message);
        }
    }

    [TestMethod]
    public void No_credentials_from_the_chain_is_access_denied_naming_what_to_set()
    {
        var error = S3Errors.Map(new AmazonClientException("Failed to resolve AWS credentials. The credential providers used to search for credentials returned nothing."), Location, null);

        Assert.AreEqual(ObjectStoreErrorKind.AccessDenied, error.Kind);
        StringAssert.Contains(error.Message, "AWS_ACCESS_KEY_ID");
        StringAssert.Contains(error.Message, "AWS_SECRET_ACCESS_KEY");
        StringAssert.Contains(error.Message, "AWS_PROFILE");
    }

    [TestMethod]
    public void A_typed_error_passes_through_unchanged()
    {
        var typed = new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument, "already typed", Location, "k");

        Assert.AreSame(typed, S3Errors.Map(typed, Location, "k"));
    }
}
