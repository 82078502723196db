using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using BucketMount.Backends.Azure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace BucketMount.TestSupport;

/// <summary>
/// Entra ID for tests, on 127.0.0.1, since Azurite checks Shared Key but not bearer tokens: (1) a managed-identity
/// token endpoint as App Service offers it (IDENTITY_ENDPOINT + IDENTITY_HEADER, which Azure.Identity's
/// DefaultAzureCredential uses), issuing tokens it makes up; (2) a proxy in front of Azurite that lets through only
/// requests (and Blob Batch sub-requests) carrying "Authorization: Bearer" with a token it issued or was told to
/// accept, and signs them for Azurite with the development account key. It records every token it was shown.
/// </summary>
public sealed partial class EntraStandIn : IAsyncDisposable
{
    public const string IdentityHeader = "stand-in-identity-header";

    private readonly WebApplication _app;
    private readonly HttpClient _upstream = new(new SocketsHttpHandler { AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None });
    private readonly Uri _azurite;
    private readonly ConcurrentDictionary<string, bool> _accepted = new(StringComparer.Ordinal);
    private int _issued;

    private EntraStandIn(WebApplication app, Uri azurite)
    {
        _app = app;
        _azurite = azurite;
    }

    /// <summary>The blob endpoint to give the store (path-style, with the development account).</summary>
    public string BlobEndpoint => $"{Address}/{AzureBlobStoreOptions.DevelopmentAccount}";

    /// <summary>What IDENTITY_ENDPOINT should say.</summary>
    public string TokenEndpoint => $"{Address}/msi/token";

    public string Address { get; private set; } = "";

    /// <summary>Tokens seen on requests, in order (a sub-request's too).</summary>
    public ConcurrentQueue<string> SeenTokens { get; } = new();

    /// <summary>Requests refused for a missing or unknown bearer token.</summary>
    public int Refused;

    /// <summary>Token requests the endpoint answered.</summary>
    public int Issued => _issued;

    public void Accept(string token) => _accepted[token] = true;

    /// <summary>From now on, requests with this token are refused (401), as Azure does for a revoked one.</summary>
    public void Revoke(string token) => _accepted.TryRemove(token, out _);

    public static async Task<EntraStandIn> StartAsync(CancellationToken cancellationToken)
    {
        var azurite = await Emulators.Azurite;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.Limits.MaxRequestBodySize = null;
        });
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var standIn = new EntraStandIn(app, new Uri(azurite.Endpoint));
        app.Run(standIn.HandleAsync);
        await app.StartAsync(cancellationToken);
        standIn.Address = app.Urls.Single().Replace("[::1]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/');
        return standIn;
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (context.Request.Path == "/msi/token")
        {
            await IssueAsync(context);
            return;
        }

        var request = context.Request;
        var body = new MemoryStream();
        await request.Body.CopyToAsync(body, context.RequestAborted);
        var bytes = body.ToArray();
        if (!Allowed(request.Headers.Authorization.ToString()))
        {
            await RefuseAsync(context);
            return;
        }

        var isBatch = request.QueryString.Value?.Contains("comp=batch", StringComparison.Ordinal) == true;
        if (isBatch)
        {
            var text = Encoding.UTF8.GetString(bytes);
            var refused = false;
            text = SubRequestAuthorization().Replace(text, match =>
            {
                refused |= !Allowed("Bearer " + match.Groups["token"].Value);
                using var sub = new HttpRequestMessage(HttpMethod.Delete, Upstream(match.Groups["path"].Value));
                sub.Headers.Add("x-ms-date", match.Groups["date"].Value.Trim());
                new SharedKeySigner(AzureBlobStoreOptions.DevelopmentAccount, AzureBlobStoreOptions.DevelopmentKey).Sign(sub);
                return $"DELETE {match.Groups["path"].Value} HTTP/1.1\r\nx-ms-date: {match.Groups["date"].Value.Trim()}\r\nAuthorization: SharedKey {sub.Headers.Authorization!.Parameter}\r\n";
            });
            if (refused)
            {
                await RefuseAsync(context);
                return;
            }

            bytes = Encoding.UTF8.GetBytes(text);
        }

        // The raw target: keys are escaped segment by segment (%2E%2E among them) and must reach Azurite as sent.
        var target = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()!.RawTarget;
        using var forward = new HttpRequestMessage(new HttpMethod(request.Method), Upstream(target));
        if (bytes.Length > 0 || request.Method is "PUT" or "POST")
        {
            forward.Content = new ByteArrayContent(bytes);
        }

        foreach (var (name, values) in request.Headers)
        {
            if (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
            {
                if (forward.Content is not null && !name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                {
                    forward.Content.Headers.TryAddWithoutValidation(name, values.ToArray());
                }
            }
            else if (name is not ("Host" or "Authorization" or "Connection" or "Transfer-Encoding" or "Expect"))
            {
                forward.Headers.TryAddWithoutValidation(name, values.ToArray());
            }
        }

        new SharedKeySigner(AzureBlobStoreOptions.DevelopmentAccount, AzureBlobStoreOptions.DevelopmentKey).Sign(forward);
        using var answer = await _upstream.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        context.Response.StatusCode = (int)answer.StatusCode;
        foreach (var (name, values) in answer.Headers.Concat(answer.Content.Headers))
        {
            if (name is not ("Transfer-Encoding" or "Connection"))
            {
                context.Response.Headers[name] = values.ToArray();
            }
        }

        if (request.Method != "HEAD")
        {
            await answer.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
        }
    }

    private Uri Upstream(string target) =>
        new(_azurite.AbsoluteUri.TrimEnd('/') + target, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });

    private bool Allowed(string authorization)
    {
        if (!authorization.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return false;
        }

        var token = authorization["Bearer ".Length..];
        SeenTokens.Enqueue(token);
        return _accepted.ContainsKey(token);
    }

    private async Task RefuseAsync(HttpContext context)
    {
        Interlocked.Increment(ref Refused);
        context.Response.StatusCode = 401;
        context.Response.Headers["x-ms-error-code"] = "InvalidAuthenticationInfo";
        await context.Response.WriteAsync("no valid bearer token", context.RequestAborted);
    }

    /// <summary>App Service's managed identity protocol: GET ?resource=...&amp;api-version=2019-08-01 with X-IDENTITY-HEADER.</summary>
    private async Task IssueAsync(HttpContext context)
    {
        if (context.Request.Headers["X-IDENTITY-HEADER"] != IdentityHeader)
        {
            context.Response.StatusCode = 400;
            return;
        }

        var token = $"stand-in-token-{Interlocked.Increment(ref _issued)}-{Guid.NewGuid():N}";
        Accept(token);
        var expires = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(
            $$"""{"access_token":"{{token}}","expires_on":"{{expires}}","resource":"{{context.Request.Query["resource"]}}","token_type":"Bearer"}""",
            context.RequestAborted);
    }

    [GeneratedRegex("DELETE (?<path>\\S+) HTTP/1.1\r\nx-ms-date: (?<date>[^\r]+)\r\nAuthorization: Bearer (?<token>[^\r]+)\r\n")]
    private static partial Regex SubRequestAuthorization();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _upstream.Dispose();
    }
}
