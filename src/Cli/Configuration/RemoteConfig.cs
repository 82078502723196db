using System.Text.Json;
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
}

/// <summary>
/// Named remotes in ~/.config/bucketmount/remotes.json (or $BUCKETMOUNT_CONFIG), used as "name:" or
/// "name:sub/prefix" wherever a remote is expected. Secrets in the file are used when the environment has none;
/// a file others can read gets a warning, since it may hold keys.
/// </summary>
internal static class RemoteConfig
{
    public static string FilePath =>
        Environment.GetEnvironmentVariable("BUCKETMOUNT_CONFIG") is { Length: > 0 } path ? path
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData, Environment.SpecialFolderOption.DoNotVerify), "bucketmount", "remotes.json");

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
        var remotes = Load();
        if (!remotes.TryGetValue(name, out var named))
        {
            throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument,
                $"no remote named '{name}' in {FilePath}: add it there ({{\"{name}\": {{\"uri\": \"s3://bucket\"}}}}) or give a URI such as s3://bucket.");
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

    private static Dictionary<string, NamedRemote> Load()
    {
        var path = FilePath;
        if (!File.Exists(path))
        {
            return [];
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0)
        {
            Console.Error.WriteLine($"bucketmount: warning: {path} can be read by other users and may hold keys; run `chmod 600 {path}`.");
        }

        try
        {
            // The sectioned form ({"remotes": …, "mounts": […]}, which `bucketmount mounts` writes) or the first, flat one.
            var document = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path));
            var remotes = document?["remotes"] is System.Text.Json.Nodes.JsonObject sectioned ? sectioned : document;
            if (remotes is System.Text.Json.Nodes.JsonObject flat && flat.ContainsKey("mounts"))
            {
                flat.Remove("mounts");
            }

            return remotes?.Deserialize(CliJson.Default.DictionaryStringNamedRemote) ?? [];
        }
        catch (JsonException e)
        {
            // The message names the position, never the content (which may hold secrets).
            throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument, $"{path} is not valid JSON (line {e.LineNumber + 1}): fix it or move it away.");
        }
    }
}
