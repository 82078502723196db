using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using BucketMount.Backends;

namespace BucketMount.Cli.Configuration;

/// <summary>
/// One configured mount: what the Windows service (and `bucketmount mounts`) keeps mounted. Options are the mount
/// command's own options (`--read-only`, `--cache-dir D:\cache`, `--volume-label Photos`), so both read them alike.
/// </summary>
internal sealed record ConfiguredMount
{
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    /// <summary>A remote URI or a named remote ("photos:" or "photos:2024").</summary>
    [JsonPropertyName("remote")]
    public required string Remote { get; init; }

    /// <summary>A drive letter (X:), * for the first free one, or an empty folder.</summary>
    [JsonPropertyName("mountPoint")]
    public required string MountPoint { get; init; }

    [JsonPropertyName("options")]
    public IReadOnlyList<string> Options { get; init; } = [];

    /// <summary>The `bucketmount mount` arguments this entry stands for.</summary>
    public IReadOnlyList<string> MountArguments() => ["mount", Remote, MountPoint, .. Options];
}

/// <summary>
/// The "mounts" section of the config file (the file of named remotes, see RemoteConfig): read by the service at
/// start and by `bucketmount mounts`. Writing keeps every other section as it was (and turns a file of the first,
/// flat form into the sectioned one, {"remotes": …, "mounts": […]}); the file stays private (0600), replaced in one rename.
/// </summary>
internal static class MountsConfig
{
    private const string MountsSection = "mounts";
    private const string RemotesSection = "remotes";

    public static IReadOnlyList<ConfiguredMount> Load(string? path = null)
    {
        path ??= RemoteConfig.FilePath;
        var document = Read(path);
        if (document?[MountsSection] is not JsonArray mounts)
        {
            return [];
        }

        var result = new List<ConfiguredMount>();
        foreach (var entry in mounts)
        {
            try
            {
                result.Add(entry.Deserialize(CliJson.Default.ConfiguredMount) ?? throw new JsonException());
            }
            catch (JsonException)
            {
                throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument,
                    $"an entry of \"mounts\" in {path} is not an object with \"name\", \"remote\" and \"mountPoint\" strings (and \"options\", a list): fix it, or remove it with `bucketmount mounts remove NAME`.");
            }
        }

        return result;
    }

    public static void Save(IReadOnlyList<ConfiguredMount> mounts, string? path = null)
    {
        path ??= RemoteConfig.FilePath;
        var document = Read(path) ?? [];
        if (document[RemotesSection] is not JsonObject && document[MountsSection] is not JsonArray && document.Count > 0)
        {
            // The first form of the file was the remotes alone: keep them, under their section.
            var remotes = (JsonObject)document.DeepClone();
            document = new JsonObject { [RemotesSection] = remotes };
        }

        var array = new JsonArray();
        foreach (var mount in mounts)
        {
            array.Add(JsonSerializer.SerializeToNode(mount, CliJson.Default.ConfiguredMount));
        }

        document[MountsSection] = array;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            document.WriteTo(writer);
        }

        File.Move(temporary, path, overwrite: true);
    }

    private static JsonObject? Read(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) as JsonObject
                ?? throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument, $"{path} does not hold a JSON object: fix it or move it away.");
        }
        catch (JsonException e)
        {
            // The message names the position, never the content (which may hold secrets).
            throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument, $"{path} is not valid JSON (line {e.LineNumber + 1}): fix it or move it away.");
        }
    }
}
