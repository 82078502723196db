using System.Security;
using System.Text;

namespace BucketMount.Gateway.Http;

/// <summary>S3's own XML error document, so every S3 client shows the gateway's refusals as it shows S3's.</summary>
internal static class S3ErrorResponse
{
    public static async Task WriteAsync(HttpResponseWriter response, HttpRequestHead head, GatewayRefusal refusal, string requestId, bool keepAlive, CancellationToken cancellationToken)
    {
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>" +
            $"<Code>{refusal.Error.Code}</Code><Message>{SecurityElement.Escape(refusal.ClientMessage)}</Message>" +
            $"<Resource>{SecurityElement.Escape(head.RawPath)}</Resource><RequestId>{requestId}</RequestId></Error>";
        var body = Encoding.UTF8.GetBytes(xml);
        var headers = new[] { new KeyValuePair<string, string>("Content-Type", "application/xml"), new("x-amz-request-id", requestId) };
        var hasBody = head.Method != "HEAD";
        await response.WriteHeadAsync(refusal.Error.Status, ReasonPhrase(refusal.Error.Status), headers, hasBody ? body.Length : 0, hasBody, keepAlive, cancellationToken).ConfigureAwait(false);
        if (hasBody)
        {
            await response.WriteBodyAsync(body, cancellationToken).ConfigureAwait(false);
        }

        await response.EndAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string ReasonPhrase(int status) => status switch
    {
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        411 => "Length Required",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Slow Down",
        _ => "Error",
    };
}
