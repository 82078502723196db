using System.Text.Json.Serialization;
using BucketMount.Backends;
using BucketMount.Backends.Remotes;

namespace BucketMount.Cli.Configuration;

/// <summary>One named remote in the config file: its URI and, optionally, its secrets.</summary>
internal sealed record NamedRemote
{
    [JsonPropertyName("uri")]
    public required string Uri { get; init; }

    [JsonPropertyName("accessKeyId")]
    public string? AccessKeyId { get; init; }

    [JsonPropertyName("secretAccessKey")]
    public string? SecretAccessKey { get; init; }

    [JsonPropertyName("sessionToken")]
    public string? SessionToken { get; init; }

    [JsonPropertyName("azureAccountKey")]
    public string? AzureAccountKey { get; init; }

    [JsonPropertyName("azureSasToken")]
    public string? AzureSasToken { get; init; }

    [JsonPropertyName("azureConnectionString")]
    public string? AzureConnectionString { get; init; }

    /// <summary>Which secrets this remote holds, by their names in the file (never their values).</summary>
    public IEnumerable<string> SecretNames()
    {
        (string Name, string? Value)[] secrets =
        [
            ("secretAccessKey", SecretAccessKey), ("sessionToken", SessionToken), ("azureAccountKey", AzureAccountKey),
            ("azureSasToken", AzureSasToken), ("azureConnectionString", AzureConnectionString),
        ];
        return secrets.Where(s => !string.IsNullOrEmpty(s.Value)).Select(s => s.Name);
    }
}

/// <summary>
/// Named remotes from the config file (<see cref="ConfigFile"/>), used as "name:" or "name:sub/prefix" wherever a
/// remote is expected. Secrets in the file are used when the environment has none.
/// </summary>
internal static class RemoteConfig
{
    public static string FilePath => ConfigFile.DefaultPath;

    /// <summary>
    /// Whether a word is a remote rather than a path or key: a URI (s3://…) or "name:" of a remote in the config
    /// file, so commands can tell `cat notes.txt` (the embedded store) from `cat s3://b notes.txt`.
    /// </summary>
    public static bool LooksLikeRemote(string text)
    {
        if (text.Contains("://", StringComparison.Ordinal))
        {
            return true;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && !text[..colon].Contains('/', StringComparison.Ordinal) && File.Exists(FilePath) && ConfigFile.Load().Remotes.ContainsKey(text[..colon]);
    }

    /// <summary>The remote and its credentials for what the user typed: a URI, a "name:[prefix]", or nothing (the embedded store).</summary>
    public static (RemoteUri Remote, RemoteCredentials Credentials) Resolve(string? text)
    {
        var environment = RemoteCredentials.FromEnvironment();
        if (string.IsNullOrEmpty(text))
        {
            return (ObjectStoreFactory.DefaultRemote(), environment);
        }

        if (text.Contains("://", StringComparison.Ordinal) || !text.Contains(':', StringComparison.Ordinal))
        {
            return (RemoteUri.Parse(text), environment);
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var name = text[..colon];
        var remotes = ConfigFile.Load().Remotes;
        if (!remotes.TryGetValue(name, out var named))
        {
            throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument,
                $"no remote named '{name}' in {FilePath}{Suggestions.DidYouMean(name, remotes.Keys)}: add it (bucketmount config add {name} s3://bucket) or give a URI such as s3://bucket.");
        }

        var remote = RemoteUri.Parse(named.Uri);
        var sub = text[(colon + 1)..].Trim('/');
        if (sub.Length > 0)
        {
            remote = remote with { Prefix = remote.Prefix.Length == 0 ? sub : remote.Prefix + "/" + sub };
        }

        return (remote, new RemoteCredentials
        {
            S3AccessKeyId = environment.S3AccessKeyId ?? named.AccessKeyId,
            S3SecretAccessKey = environment.S3AccessKeyId is null ? named.SecretAccessKey : environment.S3SecretAccessKey,
            S3SessionToken = environment.S3AccessKeyId is null ? named.SessionToken : environment.S3SessionToken,
            S3Profile = environment.S3Profile,
            AzureAccountKey = environment.AzureAccountKey ?? named.AzureAccountKey,
            AzureSasToken = environment.AzureSasToken ?? named.AzureSasToken,
            AzureConnectionString = environment.AzureConnectionString ?? named.AzureConnectionString,
        });
    }
}
