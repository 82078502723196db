using Azure.Core;
using Azure.Identity;

namespace BucketMount.Backends.Azure;

/// <summary>
/// Entra ID access tokens for Blob Storage from one <see cref="TokenCredential"/>: asked for once, reused by every
/// request, and asked for again before they expire (at the credential's own refresh time, else 5 minutes before
/// expiry, or halfway for a token that lives less than 10 minutes), so a mount that runs for days never sends an
/// expired token. One refresh at a time: requests that need a new token wait for the same one. A refresh that fails
/// while the old token is still valid keeps the old one (the next request tries again); a token the service refuses
/// (401) is dropped, so the retry asks for a new one. A token is never put in a
/// message: only the credential's own explanation of why sign-in failed.
/// </summary>
internal sealed class AzureBearerTokens(TokenCredential credential, TimeProvider time, string location)
{
    /// <summary>The one scope for Blob Storage in every Azure cloud.</summary>
    private static readonly TokenRequestContext Scope = new(["https://storage.azure.com/.default"]);

    private static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(5);

    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private volatile Held? _held;

    /// <summary>The value of an Authorization header: "Bearer " and a token that is not due for refresh.</summary>
    public async ValueTask<string> AuthorizationAsync(CancellationToken cancellationToken)
    {
        if (_held is { } held && time.GetUtcNow() < held.RefreshAt)
        {
            return held.Header;
        }

        await _refreshing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = time.GetUtcNow();
            if (_held is { } current && now < current.RefreshAt)
            {
                return current.Header;
            }

            try
            {
                var token = await credential.GetTokenAsync(Scope, cancellationToken).ConfigureAwait(false);
                _held = new Held("Bearer " + token.Token, RefreshTime(token, now), token.ExpiresOn);
                return _held.Header;
            }
            catch (Exception e) when (e is AuthenticationFailedException or InvalidOperationException or HttpRequestException && !cancellationToken.IsCancellationRequested)
            {
                if (_held is { } stillValid && now < stillValid.ExpiresOn - TimeSpan.FromSeconds(30))
                {
                    return stillValid.Header;
                }

                // Azure.Identity's message says which sign-in methods were tried and why each failed, never a token.
                throw new ObjectStoreException(ObjectStoreErrorKind.AccessDenied,
                    $"Entra ID sign-in failed: {FirstLines(e.Message)} Sign in with 'az login', or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE), or run with a managed identity; or use ?auth=key with AZURE_STORAGE_KEY.",
                    location);
            }
        }
        finally
        {
            _refreshing.Release();
        }
    }

    /// <summary>
    /// The service refused the token (401: revoked, or the identity's sign-in was reset): the next request asks the
    /// credential anew instead of sending the same token until its refresh time.
    /// </summary>
    public void Forget(string refusedHeader)
    {
        if (_held is { } held && held.Header == refusedHeader)
        {
            _held = null;
        }
    }

    internal static DateTimeOffset RefreshTime(AccessToken token, DateTimeOffset now)
    {
        if (token.RefreshOn is { } refreshOn && refreshOn < token.ExpiresOn)
        {
            return refreshOn;
        }

        var lifetime = token.ExpiresOn - now;
        return lifetime >= 2 * RefreshMargin ? token.ExpiresOn - RefreshMargin : now + (lifetime / 2);
    }

    /// <summary>DefaultAzureCredential's message has a line per method tried; more than a few lines buries the point.</summary>
    private static string FirstLines(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var text = string.Join(' ', lines.Take(8));
        return text.EndsWith('.') ? text : text + ".";
    }

    private sealed record Held(string Header, DateTimeOffset RefreshAt, DateTimeOffset ExpiresOn);
}
