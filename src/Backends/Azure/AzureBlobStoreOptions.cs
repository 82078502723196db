using Azure.Core;

namespace BucketMount.Backends.Azure;

/// <summary>
/// Where and how to reach one Azure Blob container: Entra ID (any Azure.Identity <see cref="TokenCredential"/>),
/// Shared Key (account key), a SAS token, or a connection string (including Azurite's
/// <c>UseDevelopmentStorage=true</c>). <see cref="ToString"/> never shows a key, a SAS, a token or a connection string.
/// </summary>
public sealed record AzureBlobStoreOptions
{
    /// <summary>Azurite's well-known development account (public, documented by Microsoft).</summary>
    public const string DevelopmentAccount = "devstoreaccount1";

    public const string DevelopmentKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public required string Account { get; init; }

    public required string Container { get; init; }

    /// <summary>The blob service URL; for Azurite it includes the account: http://127.0.0.1:10000/devstoreaccount1.</summary>
    public string? Endpoint { get; init; }

    public string? AccountKey { get; init; }

    /// <summary>A SAS token (with or without the leading '?').</summary>
    public string? SasToken { get; init; }

    /// <summary>
    /// Entra ID sign-in (e.g. Azure.Identity's DefaultAzureCredential): requests carry "Authorization: Bearer" with a
    /// token for https://storage.azure.com, refreshed before it expires. When set, it is the only credential used.
    /// </summary>
    public TokenCredential? TokenCredential { get; init; }

    /// <summary>The clock that decides when a token is due for refresh (tests move it).</summary>
    internal TimeProvider Time { get; init; } = TimeProvider.System;

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public string Location => $"az://{Account}/{Container}";

    public Uri ServiceUri => new((Endpoint ?? $"https://{Account}.blob.core.windows.net").TrimEnd('/') + "/");

    /// <summary>Azurite on 127.0.0.1 with its development account.</summary>
    public static AzureBlobStoreOptions Development(string container, int port = 10000) => new()
    {
        Account = DevelopmentAccount,
        Container = container,
        Endpoint = $"http://127.0.0.1:{port}/{DevelopmentAccount}",
        AccountKey = DevelopmentKey,
    };

    /// <summary>Options from an Azure Storage connection string; a malformed one is refused naming the missing part (never its secrets).</summary>
    public static AzureBlobStoreOptions FromConnectionString(string connectionString, string container) =>
        AzureConnectionString.Parse(connectionString, container);

    /// <summary>Throws InvalidArgument naming the first setting that is wrong.</summary>
    public void Validate()
    {
        AzureContainerNames.Validate(Account, Container);
        if (TokenCredential is null && AccountKey is null && string.IsNullOrEmpty(SasToken?.TrimStart('?')))
        {
            throw new ObjectStoreException(ObjectStoreErrorKind.AccessDenied,
                "no Azure credentials: sign in with Entra ID (?auth=entra), or set AZURE_STORAGE_KEY (account key), AZURE_STORAGE_SAS_TOKEN or AZURE_STORAGE_CONNECTION_STRING.", Location);
        }

        if (TokenCredential is not null && ServiceUri.Scheme != "https" && !ServiceUri.IsLoopback)
        {
            // A bearer token is good for every storage account the identity can reach: never send one in clear text.
            throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument,
                $"Entra ID sign-in needs an https endpoint ('{EndpointText}' is http and not this machine): a token sent in clear text could be replayed.", Location);
        }

        if (AccountKey is not null && (AccountKey.Length == 0 || !IsBase64(AccountKey)))
        {
            throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument, "the account key is not valid base64: copy it again from the portal (Access keys).", Location);
        }

        if (Endpoint is not null && (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https")))
        {
            throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument, $"the endpoint '{EndpointText}' is not an http(s) URL.", Location);
        }

        if (Endpoint is not null && (Endpoint.Contains('?', StringComparison.Ordinal) || Endpoint.Contains('#', StringComparison.Ordinal)))
        {
            throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument,
                $"the endpoint '{EndpointText}' has a query: give a SAS token as the SAS token, not as part of the endpoint.", Location);
        }
    }

    public override string ToString() =>
        $"{Location} (endpoint {EndpointText}, credentials {CredentialsText})";

    /// <summary>Which credential the store uses, in words (never its value).</summary>
    public string CredentialsText => TokenCredential is not null ? "Entra ID" : AccountKey is not null ? "account key" : "SAS token";

    /// <summary>The endpoint without any query, which could hold a SAS.</summary>
    private string EndpointText => Endpoint is null ? $"https://{Account}.blob.core.windows.net/" : Endpoint.Split('?', '#')[0];

    internal static bool IsBase64(string text)
    {
        var buffer = new byte[text.Length];
        return Convert.TryFromBase64String(text, buffer, out _);
    }
}
