using System.Globalization;
using BucketMount.Gateway.Grants;
using BucketMount.Gateway.Http;
using BucketMount.Gateway.Policy;
using BucketMount.Gateway.Signing;

namespace BucketMount.Gateway.Forwarding;

/// <summary>
/// Turns a verified request's body into what goes upstream: decoded from aws-chunked with every chunk checked,
/// or checked against its signed SHA-256, or passed as sent when UNSIGNED-PAYLOAD; a multi-object delete is read
/// whole (it is small) so its keys can be checked (for a rooted grant, first put under its prefix) before anything is deleted.
/// </summary>
internal static class UpstreamBodies
{
    public static async Task<(HttpContent? Content, string PayloadHash)> PrepareAsync(HttpRequestHead head, RequestBody body, VerifiedSignature signature,
        S3Operation operation, Grant grant, Func<Stream, Stream> throttle, CancellationToken cancellationToken)
    {
        var (stream, length) = Decode(head, body, signature);
        if (operation.IsMultiDelete)
        {
            var bytes = await ReadSmallAsync(stream, cancellationToken).ConfigureAwait(false);
            var deleteBody = new ByteArrayContent(bytes);
            if (operation.Rooted is { } rooted)
            {
                (bytes, var md5) = rooted.ToStore(bytes);
                deleteBody = new ByteArrayContent(bytes);
                deleteBody.Headers.ContentMD5 = Convert.FromBase64String(md5);
            }

            DeleteRequestKeys.RequireAllUnderPrefix(bytes, grant);
            return (deleteBody, SigV4Crypto.Sha256Hex(bytes));
        }

        if (length == 0)
        {
            if (signature.Payload == PayloadMode.Sha256 && signature.PayloadSha256 != SigV4Crypto.EmptySha256)
            {
                throw new GatewayRefusal(S3ErrorCode.ContentSha256Mismatch, "The provided 'x-amz-content-sha256' header does not match what was computed.", "empty body with a non-empty signed hash");
            }

            return (head.Method is "PUT" or "POST" ? new ByteArrayContent([]) : null, SigV4Crypto.EmptySha256);
        }

        var content = new StreamContent(throttle(stream), 128 * 1024);
        content.Headers.ContentLength = length;
        return (content, PayloadModes.UnsignedPayload);
    }

    private static (Stream Stream, long Length) Decode(HttpRequestHead head, RequestBody body, VerifiedSignature signature)
    {
        if (signature.Payload.IsStreaming())
        {
            var decodedText = head.Header("x-amz-decoded-content-length")
                ?? throw new GatewayRefusal(S3ErrorCode.MissingContentLength, "An aws-chunked body needs x-amz-decoded-content-length.");
            if (!long.TryParse(decodedText, NumberStyles.None, CultureInfo.InvariantCulture, out var decoded))
            {
                throw new GatewayRefusal(S3ErrorCode.InvalidArgument, "x-amz-decoded-content-length is not a number.");
            }

            return (new AwsChunkedStream(body, signature, decoded, head.Header("x-amz-trailer")), decoded);
        }

        // The store needs the length up front; S3 refuses a chunked PUT without it too.
        var length = body.DeclaredLength ?? throw new GatewayRefusal(S3ErrorCode.MissingContentLength, "You must provide the Content-Length HTTP header.");
        return signature.Payload == PayloadMode.Sha256 && length > 0
            ? (new Sha256CheckingStream(body, length, signature.PayloadSha256!), length)
            : (body, length);
    }

    private static async Task<byte[]> ReadSmallAsync(Stream stream, CancellationToken cancellationToken)
    {
        var result = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            result.Write(buffer, 0, read);
            if (result.Length > DeleteRequestKeys.MaxBodyBytes)
            {
                throw new GatewayRefusal(S3ErrorCode.EntityTooLarge, "The multi-object delete body is too large.");
            }
        }

        return result.ToArray();
    }
}
