namespace BucketMount.Backends.Remotes;

/// <summary>
/// Secrets for remotes, from the environment or a config file, never from a URI. <see cref="ToString"/> shows only
/// which secrets are present, never their values.
/// </summary>
public sealed record RemoteCredentials
{
    /// <summary>S3 access key id (AWS_ACCESS_KEY_ID); null lets the AWS chain (profile, instance role…) decide.</summary>
    public string? S3AccessKeyId { get; init; }

    /// <summary>S3 secret (AWS_SECRET_ACCESS_KEY).</summary>
    public string? S3SecretAccessKey { get; init; }

    /// <summary>S3 session token (AWS_SESSION_TOKEN).</summary>
    public string? S3SessionToken { get; init; }

    /// <summary>AWS shared-config profile (AWS_PROFILE).</summary>
    public string? S3Profile { get; init; }

    /// <summary>Azure storage account key (AZURE_STORAGE_KEY).</summary>
    public string? AzureAccountKey { get; init; }

    /// <summary>Azure SAS token (AZURE_STORAGE_SAS_TOKEN).</summary>
    public string? AzureSasToken { get; init; }

    /// <summary>Azure connection string (AZURE_STORAGE_CONNECTION_STRING).</summary>
    public string? AzureConnectionString { get; init; }

    public static RemoteCredentials FromEnvironment() => new()
    {
        S3AccessKeyId = Env("AWS_ACCESS_KEY_ID"),
        S3SecretAccessKey = Env("AWS_SECRET_ACCESS_KEY"),
        S3SessionToken = Env("AWS_SESSION_TOKEN"),
        S3Profile = Env("AWS_PROFILE"),
        AzureAccountKey = Env("AZURE_STORAGE_KEY"),
        AzureSasToken = Env("AZURE_STORAGE_SAS_TOKEN"),
        AzureConnectionString = Env("AZURE_STORAGE_CONNECTION_STRING"),
    };

    public override string ToString()
    {
        var present = new List<string>();
        Add(present, "s3-access-key-id", S3AccessKeyId);
        Add(present, "s3-secret", S3SecretAccessKey);
        Add(present, "s3-session-token", S3SessionToken);
        Add(present, "s3-profile", S3Profile);
        Add(present, "azure-key", AzureAccountKey);
        Add(present, "azure-sas", AzureSasToken);
        Add(present, "azure-connection-string", AzureConnectionString);
        return present.Count == 0 ? "RemoteCredentials { none }" : $"RemoteCredentials {{ {string.Join(", ", present)} (values hidden) }}";
    }

    private static void Add(List<string> present, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            present.Add(name);
        }
    }

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
