namespace BucketMount.Backends.Remotes;

/// <summary>
/// A parsed remote: which store, which bucket or container (and account), the key prefix inside it, and
/// non-secret options given as query parameters (<c>s3://bucket/prefix?endpoint=http://127.0.0.1:9000&amp;region=eu-west-1</c>).
/// Secrets are refused in the URI: a URI ends up in shell history, process lists and logs.
/// </summary>
public sealed record RemoteUri
{
    public required RemoteKind Kind { get; init; }

    /// <summary>R2 account id or Azure storage account; null for the others.</summary>
    public string? Account { get; init; }

    /// <summary>Bucket (S3, R2), container (Azure) or memory store name; null for a local folder.</summary>
    public string? Bucket { get; init; }

    /// <summary>Key prefix inside the bucket, without leading or trailing '/'; empty for the whole bucket.</summary>
    public string Prefix { get; init; } = "";

    /// <summary>The folder of a local store.</summary>
    public string? LocalPath { get; init; }

    /// <summary>Non-secret options from the query string, names lower-case.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    /// <summary>Parses a remote URI, throwing InvalidArgument with what is wrong and an example of what is right.</summary>
    public static RemoteUri Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw Invalid(text, "the remote is empty");
        }

        // Before anything else, so no other error can repeat a secret; the message names what it is, never its value.
        if (UriSecrets.FindSecret(text) is { } secret)
        {
            throw Invalid(text, $"it carries {secret}; pass credentials through the environment or the config file, never in the URI");
        }

        var schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0)
        {
            throw Invalid(text, "it has no scheme");
        }

        var scheme = text[..schemeEnd].ToLowerInvariant();
        var rest = text[(schemeEnd + 3)..];
        var parameters = ParseQuery(text, ref rest);
        var remote = scheme switch
        {
            "s3" => ParseBucketRemote(text, RemoteKind.S3, rest, parameters, hasAccount: false),
            "gs" or "gcs" => ParseBucketRemote(text, RemoteKind.Gcs, rest, parameters, hasAccount: false),
            "r2" => ParseBucketRemote(text, RemoteKind.R2, rest, parameters, hasAccount: true),
            "az" or "azure" => ParseBucketRemote(text, RemoteKind.Azure, rest, parameters, hasAccount: true),
            "file" => ParseFile(text, rest, parameters),
            "mem" or "memory" => ParseMemory(text, rest, parameters),
            _ => throw Invalid(text, $"the scheme '{scheme}' is not one this program knows{Suggestions.DidYouMean(scheme, KnownSchemes)}"),
        };
        RemoteOptions.Check(remote.Kind, remote.Parameters, problem => Invalid(text, problem));
        return remote;
    }

    private static readonly string[] KnownSchemes = ["s3", "gs", "r2", "az", "file", "mem"];

    public override string ToString()
    {
        var query = Parameters.Count == 0 ? "" : "?" + string.Join('&', Parameters.Select(p => $"{p.Key}={p.Value}"));
        var prefix = Prefix.Length == 0 ? "" : "/" + Prefix;
        return Kind switch
        {
            RemoteKind.S3 => $"s3://{Bucket}{prefix}{query}",
            RemoteKind.Gcs => $"gs://{Bucket}{prefix}{query}",
            RemoteKind.R2 => $"r2://{Account}/{Bucket}{prefix}{query}",
            RemoteKind.Azure => $"az://{Account}/{Bucket}{prefix}{query}",
            RemoteKind.File => $"file://{LocalPath}{query}",
            _ => $"mem://{Bucket}{prefix}{query}",
        };
    }

    private static RemoteUri ParseBucketRemote(string text, RemoteKind kind, string rest, Dictionary<string, string> parameters, bool hasAccount)
    {
        var parts = rest.Split('/', 3);
        string? account = null;
        if (hasAccount)
        {
            if (parts.Length < 2 || parts[0].Length == 0 || parts[1].Length == 0)
            {
                throw Invalid(text, kind == RemoteKind.R2 ? "an R2 remote names the account id and then the bucket" : "an Azure remote names the storage account and then the container");
            }

            account = parts[0];
            if (!account.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                throw Invalid(text, $"the account '{account}' may hold only letters, digits and '-'");
            }

            parts = parts[1..];
        }
        else if (parts[0].Length == 0)
        {
            throw Invalid(text, "it names no bucket");
        }

        var bucket = parts[0];
        var prefix = parts.Length > 1 ? string.Join('/', parts[1..]).Trim('/') : "";
        return new RemoteUri { Kind = kind, Account = account, Bucket = bucket, Prefix = prefix, Parameters = parameters };
    }

    private static RemoteUri ParseFile(string text, string rest, Dictionary<string, string> parameters)
    {
        // file:///var/data (Unix) or file:///C:/data (Windows); file://relative is ambiguous and refused.
        var path = Uri.UnescapeDataString(rest);
        if (OperatingSystem.IsWindows() && path.Length >= 3 && path[0] == '/' && path[2] == ':')
        {
            path = path[1..];
        }

        if (!Path.IsPathFullyQualified(path))
        {
            throw Invalid(text, "a file remote needs an absolute folder, with three slashes");
        }

        return new RemoteUri { Kind = RemoteKind.File, LocalPath = Path.GetFullPath(path), Parameters = parameters };
    }

    private static RemoteUri ParseMemory(string text, string rest, Dictionary<string, string> parameters)
    {
        var parts = rest.Split('/', 2);
        if (parts[0].Length == 0)
        {
            throw Invalid(text, "a memory remote needs a name");
        }

        return new RemoteUri { Kind = RemoteKind.Memory, Bucket = parts[0], Prefix = parts.Length > 1 ? parts[1].Trim('/') : "", Parameters = parameters };
    }

    private static Dictionary<string, string> ParseQuery(string text, ref string rest)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var question = rest.IndexOf('?', StringComparison.Ordinal);
        if (question < 0)
        {
            return result;
        }

        var query = rest[(question + 1)..];
        rest = rest[..question];
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]).ToLowerInvariant().Replace('-', '_');
            result[name] = equals < 0 ? "true" : Uri.UnescapeDataString(pair[(equals + 1)..]);
        }

        return result;
    }

    private static ObjectStoreException Invalid(string text, string problem) => new(ObjectStoreErrorKind.InvalidArgument,
        $"the remote '{UriSecrets.Redact(text)}' is not valid: {problem}. Use s3://bucket[/prefix], gs://bucket[/prefix], r2://account-id/bucket[/prefix], az://account/container[/prefix], file:///absolute/folder or mem://name.");
}
