using System.Net;

namespace BucketMount.Backends.Azure;

/// <summary>Parses Azure Storage connection strings; errors name the part that is missing or wrong, never a value.</summary>
internal static class AzureConnectionString
{
    public static AzureBlobStoreOptions Parse(string connectionString, string container)
    {
        var parts = Split(connectionString);
        if (parts.TryGetValue("UseDevelopmentStorage", out var development))
        {
            if (!bool.TryParse(development, out var useDevelopment) || !useDevelopment)
            {
                throw Invalid("UseDevelopmentStorage must be 'true' (or left out)");
            }

            var options = AzureBlobStoreOptions.Development(container);
            if (parts.GetValueOrDefault("DevelopmentStorageProxyUri") is not { } proxy)
            {
                return options;
            }

            RequireHttpUrl(proxy, "DevelopmentStorageProxyUri");
            return options with { Endpoint = proxy.TrimEnd('/') + "/" + AzureBlobStoreOptions.DevelopmentAccount };
        }

        var key = parts.GetValueOrDefault("AccountKey");
        var sas = parts.GetValueOrDefault("SharedAccessSignature");
        var endpoint = parts.GetValueOrDefault("BlobEndpoint");
        var account = parts.GetValueOrDefault("AccountName");
        if (account is null && endpoint is null)
        {
            throw Invalid("it names neither AccountName nor BlobEndpoint");
        }

        if (key is null && sas is null)
        {
            throw Invalid("it has neither AccountKey nor SharedAccessSignature");
        }

        if (key is not null && !AzureBlobStoreOptions.IsBase64(key))
        {
            throw Invalid("AccountKey is not valid base64 (copy it again from the portal's Access keys)");
        }

        if (endpoint is not null)
        {
            RequireHttpUrl(endpoint, "BlobEndpoint");
        }

        var protocol = parts.GetValueOrDefault("DefaultEndpointsProtocol") ?? "https";
        if (protocol is not ("https" or "http"))
        {
            throw Invalid("DefaultEndpointsProtocol must be https or http");
        }

        account ??= AccountOf(new Uri(endpoint!));
        var suffix = parts.GetValueOrDefault("EndpointSuffix") ?? "core.windows.net";
        return new AzureBlobStoreOptions
        {
            Account = account,
            Container = container,
            Endpoint = endpoint ?? $"{protocol}://{account}.blob.{suffix}",
            AccountKey = key,
            SasToken = sas,
        };
    }

    private static Dictionary<string, string> Split(string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw Invalid("it is empty");
        }

        var parts = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var piece in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = piece.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw Invalid("a part is not of the form Name=Value");
            }

            var name = piece[..equals].Trim();
            var value = piece[(equals + 1)..].Trim();
            if (value.Length == 0)
            {
                throw Invalid($"{name} is empty");
            }

            if (!parts.TryAdd(name, value))
            {
                throw Invalid($"{name} is given twice");
            }
        }

        return parts;
    }

    private static void RequireHttpUrl(string value, string part)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw Invalid($"{part} is not an http(s) URL");
        }
    }

    /// <summary>https://ACCOUNT.blob.core.windows.net, or path-style http://127.0.0.1:10000/ACCOUNT (Azurite).</summary>
    private static string AccountOf(Uri endpoint) =>
        endpoint.IsLoopback || endpoint.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 || IPAddress.TryParse(endpoint.Host, out _)
            ? endpoint.AbsolutePath.Trim('/').Split('/')[0]
            : endpoint.Host.Split('.')[0];

    private static ObjectStoreException Invalid(string problem) => new(ObjectStoreErrorKind.InvalidArgument,
        $"the Azure connection string is not valid: {problem}. Expected e.g. DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...;EndpointSuffix=core.windows.net, or UseDevelopmentStorage=true.");
}
