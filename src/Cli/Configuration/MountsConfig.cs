using System.Text.Json;
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
/// The "mounts" section of the config file (<see cref="ConfigFile"/>, which also holds the named remotes): read by the
/// service at start and by `bucketmount mounts`. Writing goes through ConfigFile, so the remotes stay as they were and
/// the file stays private (0600), replaced in one rename.
/// </summary>
internal static class MountsConfig
{
    public static IReadOnlyList<ConfiguredMount> Load(string? path = null)
    {
        var file = ConfigFile.Load(path);
        var result = new List<ConfiguredMount>();
        foreach (var entry in file.Mounts)
        {
            try
            {
                result.Add(entry.Deserialize(CliJson.Default.ConfiguredMount) ?? throw new JsonException());
            }
            catch (JsonException)
            {
                throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument,
                    $"an entry of \"mounts\" in {file.Path} is not an object with \"name\", \"remote\" and \"mountPoint\" strings (and \"options\", a list): fix it, or remove it with `bucketmount mounts remove NAME`.");
            }
        }

        return result;
    }

    public static void Save(IReadOnlyList<ConfiguredMount> mounts, string? path = null)
    {
        var file = ConfigFile.Load(path);
        file.Mounts.Clear();
        foreach (var mount in mounts)
        {
            file.Mounts.Add(JsonSerializer.SerializeToNode(mount, CliJson.Default.ConfiguredMount));
        }

        file.Save();
    }
}
