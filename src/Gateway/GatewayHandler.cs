using BucketMount.Gateway.Audit;
using BucketMount.Gateway.Forwarding;
using BucketMount.Gateway.Grants;
using BucketMount.Gateway.Http;
using BucketMount.Gateway.Policy;
using BucketMount.Gateway.Signing;
using Microsoft.Extensions.Logging;

namespace BucketMount.Gateway;

/// <summary>
/// One request through the gateway: signature, grant (authentic, unexpired, not revoked), rate, policy, body
/// checks, then the store; a refusal at any step answers with S3's XML error. Every request ends in one audit line.
/// </summary>
internal sealed class GatewayHandler(GatewayOptions options, GrantCodec grants, DenyList denyList, GrantUsage usage, UpstreamForwarder forwarder,
    AuditLog audit, TimeProvider clock, ILogger logger)
{
    private const long RefusedBodyDrainBytes = 16 * 1024 * 1024;
    private readonly GatewaySeals _seals = new(options.Secret);
    private readonly SigV4Verifier _verifier = new(id => grants.Read(id) is null ? null : grants.SecretFor(id), clock);

    public async Task HandleAsync(HttpRequestHead head, RequestBody body, HttpResponseWriter response, CancellationToken cancellationToken)
    {
        var started = clock.GetTimestamp();
        var requestId = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
        string grantId = "-", operationName = head.Method, key = head.RawPath;
        string? reason = null;
        PayloadMode? payload = null;
        GrantUsage.Counters? counters = null;
        try
        {
            var signature = _verifier.Verify(head);
            payload = signature.Payload;
            var grant = grants.Read(signature.AccessKeyId)!;
            grantId = grant.Id;
            CheckGrant(grant);
            counters = usage.For(grant);
            usage.Admit(counters);
            var operation = RequestPolicy.Authorize(head, options.Upstream.Bucket, grant, _seals);
            (operationName, key) = (operation.Name, operation.Key);

            var limited = counters;
            Func<int, CancellationToken, ValueTask> throttle = (bytes, ct) => GrantUsage.ThrottleAsync(limited, bytes, clock, ct);
            var (content, payloadHash) = await UpstreamBodies.PrepareAsync(head, body, signature, operation, grant,
                stream => new ThrottledStream(stream, throttle), cancellationToken).ConfigureAwait(false);
            await forwarder.ForwardAsync(operation, head, content, payloadHash, response, throttle, () => body.Complete, _seals, cancellationToken).ConfigureAwait(false);
        }
        catch (GatewayRefusal refusal)
        {
            reason = refusal.OperatorReason;
            if (operationName == head.Method)
            {
                operationName = RequestPolicy.Describe(head, options.Upstream.Bucket);
                key = RequestTarget.Parse(head, options.Upstream.Bucket).Key;
            }

            if (counters is not null)
            {
                Interlocked.Increment(ref counters.Refused);
            }

            if (!response.Started)
            {
                // A client already sending its body reads the answer only after it has sent it: take a bounded amount,
                // so a small refused PUT sees S3's error rather than a reset connection.
                if (!body.Complete && !body.AwaitingContinue)
                {
                    await body.DrainAsync(RefusedBodyDrainBytes, cancellationToken).ConfigureAwait(false);
                }

                await S3ErrorResponse.WriteAsync(response, head, refusal, requestId, head.KeepAlive && body.Complete, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException && !response.Started && e is not IOException)
        {
            reason = "internal error: " + e.Message;
            logger.LogError("request {RequestId} failed inside the gateway: {Message}", requestId, e.Message);
            await S3ErrorResponse.WriteAsync(response, head, new GatewayRefusal(S3ErrorCode.InternalError, "The gateway failed; retry."), requestId, false, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (counters is not null)
            {
                Interlocked.Add(ref counters.BytesIn, body.BytesRead);
                Interlocked.Add(ref counters.BytesOut, response.BodyBytes);
            }

            audit.Write(clock.GetUtcNow(), grantId, operationName, key, response.Status, body.BytesRead, response.BodyBytes, clock.GetElapsedTime(started), payload?.ToString(), reason);
        }
    }

    private void CheckGrant(Grant grant)
    {
        if (clock.GetUtcNow() >= grant.Expires)
        {
            throw new GatewayRefusal(S3ErrorCode.ExpiredToken, "The provided token has expired.", $"grant expired at {grant.Expires.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z");
        }

        if (denyList.IsRevoked(grant.Id))
        {
            throw new GatewayRefusal(S3ErrorCode.AccessDenied, "Access denied: this grant has been revoked.", "grant revoked (deny list)");
        }
    }
}
