using BucketMount.Gateway.Http;
using BucketMount.Gateway.Policy;

namespace BucketMount.Gateway.Forwarding;

/// <summary>
/// Sends an authorised request on to the real store, signed with the real keys, and streams the answer back:
/// bodies go through in 128 KiB pieces both ways, never whole. Only what S3 defines goes on: the client's own
/// signing headers, hop-by-hop headers and the aws-chunked framing stay at the gateway.
/// </summary>
internal sealed class UpstreamForwarder(UpstreamStore store, HttpMessageInvoker client, UpstreamSigner signer)
{
    private const int CopyBuffer = 128 * 1024;

    private static readonly HashSet<string> NotForwarded = new(StringComparer.Ordinal)
    {
        "host", "authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token", "x-amz-decoded-content-length",
        "x-amz-trailer", "x-amz-sdk-checksum-algorithm", "content-length", "transfer-encoding", "connection", "keep-alive", "expect",
        "te", "upgrade", "proxy-connection", "proxy-authorization", "date",
    };

    private static readonly HashSet<string> ContentHeaders = new(StringComparer.Ordinal)
    {
        "content-type", "content-md5", "content-encoding", "content-disposition", "content-language", "expires",
    };

    public static HttpMessageInvoker CreateClient() => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        AutomaticDecompression = System.Net.DecompressionMethods.None,
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        ConnectTimeout = TimeSpan.FromSeconds(15),
    });

    /// <summary>Forwards; returns the bytes of the answer's body sent to the client.</summary>
    public async Task ForwardAsync(S3Operation operation, HttpRequestHead head, HttpContent? content, string payloadHash,
        HttpResponseWriter response, Func<int, CancellationToken, ValueTask> throttle, Func<bool> requestBodyComplete, GatewaySeals seals, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(new HttpMethod(head.Method), store.UrlFor(operation.Key, ForwardedQuery(head, operation.QueryOverrides))) { Content = content };
        CopyHeaders(head, request, bodyReplaced: content?.Headers.ContentMD5 is not null);
        if (operation.CopySource is { } copySource)
        {
            request.Headers.Remove("x-amz-copy-source");
            request.Headers.TryAddWithoutValidation("x-amz-copy-source", copySource);
        }

        await signer.SignAsync(request, payloadHash, cancellationToken).ConfigureAwait(false);

        HttpResponseMessage upstream;
        try
        {
            upstream = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (FindRefusal(e) is { } refusal)
        {
            throw refusal;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw FindRefusal(e) ?? new GatewayRefusal(S3ErrorCode.BadGateway, "The gateway could not reach the store; retry.", "store unreachable: " + e.Message);
        }

        using (upstream)
        {
            var headers = upstream.Headers.NonValidated.Concat(upstream.Content.Headers.NonValidated)
                .Select(h => new KeyValuePair<string, string>(h.Key, string.Join(", ", h.Value)));
            var status = (int)upstream.StatusCode;
            if (status == 200 && (operation.UploadIds != UploadIdAnswer.None || operation.ListingPrefix is not null || (operation.Rooted is not null && operation.AnswerNamesKeys)))
            {
                await WriteSealedAsync(operation, head, upstream, headers, seals, response, throttle, requestBodyComplete, cancellationToken).ConfigureAwait(false);
                return;
            }

            var hasBody = head.Method != "HEAD" && status is not (204 or 304);
            await response.WriteHeadAsync(status, upstream.ReasonPhrase ?? "", headers, upstream.Content.Headers.ContentLength, hasBody,
                head.KeepAlive && requestBodyComplete(), cancellationToken).ConfigureAwait(false); // a store that answered before reading the whole body leaves the rest unread: close
            if (hasBody)
            {
                await using var body = await upstream.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                var buffer = new byte[CopyBuffer];
                int read;
                while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    await throttle(read, cancellationToken).ConfigureAwait(false);
                    await response.WriteBodyAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }
            }

            await response.EndAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The client's query without its presigned-URL signature (the gateway signs anew), upload ids unsealed, a rooted grant's prefix added.</summary>
    private static string ForwardedQuery(HttpRequestHead head, IReadOnlyDictionary<string, string> overrides) => Signing.CanonicalRequest.CanonicalQuery(
        head.Query.Where(p => !p.Key.StartsWith("X-Amz-", StringComparison.Ordinal))
            .Select(p => overrides.TryGetValue(p.Key, out var value) ? new KeyValuePair<string, string>(p.Key, value) : p)
            .Concat(overrides.Where(o => !head.HasQuery(o.Key))).ToList());

    /// <summary>
    /// An answer carrying upload ids, continuation tokens or, for a rooted grant, keys: small XML, read whole so each id
    /// goes to the client sealed to its key (the store's key), each token to its listing, and then each key without the
    /// rooted grant's prefix.
    /// </summary>
    private static async Task WriteSealedAsync(S3Operation operation, HttpRequestHead head, HttpResponseMessage upstream, IEnumerable<KeyValuePair<string, string>> headers,
        GatewaySeals seals, HttpResponseWriter response, Func<int, CancellationToken, ValueTask> throttle, Func<bool> requestBodyComplete, CancellationToken cancellationToken)
    {
        var xml = await upstream.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var sealedXml = operation.UploadIds switch
        {
            UploadIdAnswer.ForKey => seals.UploadIds.SealForKey(xml, operation.Bucket, operation.Key),
            UploadIdAnswer.Listing => seals.UploadIds.SealListing(xml, operation.Bucket),
            _ => xml,
        };
        if (operation.ListingPrefix is { } listingPrefix)
        {
            sealedXml = seals.ContinuationTokens.SealAnswer(sealedXml, operation.Bucket, listingPrefix);
        }

        var body = System.Text.Encoding.UTF8.GetBytes(operation.Rooted?.ToSandbox(sealedXml) ?? sealedXml);
        var kept = headers.Where(h => !h.Key.Equals("content-md5", StringComparison.OrdinalIgnoreCase) && !h.Key.Equals("content-length", StringComparison.OrdinalIgnoreCase));
        await response.WriteHeadAsync(200, upstream.ReasonPhrase ?? "OK", kept, body.Length, true, head.KeepAlive && requestBodyComplete(), cancellationToken).ConfigureAwait(false);
        await throttle(body.Length, cancellationToken).ConfigureAwait(false); // listings count against the byte rate too
        await response.WriteBodyAsync(body, cancellationToken).ConfigureAwait(false);
        await response.EndAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <param name="bodyReplaced">The gateway rewrote the body (a rooted grant's multi-object delete) and set its Content-MD5: the client's digests no longer apply.</param>
    private static void CopyHeaders(HttpRequestHead head, HttpRequestMessage request, bool bodyReplaced)
    {
        foreach (var (name, value) in head.Headers)
        {
            if (NotForwarded.Contains(name) || (bodyReplaced && (name == "content-md5" || name.StartsWith("x-amz-checksum-", StringComparison.Ordinal))))
            {
                continue;
            }

            var forwarded = value;
            if (name == "content-encoding")
            {
                // aws-chunked is the client-to-gateway framing; the store gets the decoded object.
                forwarded = string.Join(',', value.Split(',').Select(v => v.Trim()).Where(v => v.Length > 0 && !v.Equals("aws-chunked", StringComparison.OrdinalIgnoreCase)));
                if (forwarded.Length == 0)
                {
                    continue;
                }
            }

            if (ContentHeaders.Contains(name))
            {
                request.Content?.Headers.TryAddWithoutValidation(name, forwarded);
            }
            else
            {
                request.Headers.TryAddWithoutValidation(name, forwarded);
            }
        }
    }

    private static GatewayRefusal? FindRefusal(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is GatewayRefusal refusal)
            {
                return refusal;
            }
        }

        return null;
    }
}
