namespace BucketMount.Backends.Azure;

/// <summary>Parses Azure Storage connection strings without ever echoing their secrets.</summary>
internal static class AzureConnectionString
{
    public static AzureBlobStoreOptions Parse(string connectionString, string container)
    {
        var parts = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var piece in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = piece.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw Invalid("a part is not of the form Name=Value");
            }

            parts[piece[..equals]] = piece[(equals + 1)..];
        }

        if (parts.TryGetValue("UseDevelopmentStorage", out var development) && development.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            var proxy = parts.GetValueOrDefault("DevelopmentStorageProxyUri");
            var options = AzureBlobStoreOptions.Development(container);
            return proxy is null ? options : options with { Endpoint = proxy.TrimEnd('/') + "/" + AzureBlobStoreOptions.DevelopmentAccount };
        }

        var account = parts.GetValueOrDefault("AccountName");
        var key = parts.GetValueOrDefault("AccountKey");
        var sas = parts.GetValueOrDefault("SharedAccessSignature");
        var endpoint = parts.GetValueOrDefault("BlobEndpoint");
        if (account is null && endpoint is null)
        {
            throw Invalid("it names neither AccountName nor BlobEndpoint");
        }

        if (key is null && sas is null)
        {
            throw Invalid("it has neither AccountKey nor SharedAccessSignature");
        }

        if (account is null)
        {
            // A SAS connection string may give only the endpoint: https://ACCOUNT.blob.core.windows.net.
            account = new Uri(endpoint!).Host.Split('.')[0];
        }

        var protocol = parts.GetValueOrDefault("DefaultEndpointsProtocol") ?? "https";
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

    private static ObjectStoreException Invalid(string problem) => new(ObjectStoreErrorKind.InvalidArgument,
        $"the Azure connection string is not valid: {problem}. Expected e.g. DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...;EndpointSuffix=core.windows.net, or UseDevelopmentStorage=true.");
}
