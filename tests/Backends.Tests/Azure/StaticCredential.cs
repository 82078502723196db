using Azure.Core;

namespace BucketMount.Backends.Tests.Azure;

/// <summary>An Entra ID credential that always gives the same token, valid for an hour from now.</summary>
internal sealed class StaticCredential(string token) : TokenCredential
{
    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) => new(token, DateTimeOffset.UtcNow.AddHours(1));

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetToken(requestContext, cancellationToken));
}
