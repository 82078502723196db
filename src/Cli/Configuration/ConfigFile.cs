using System.Text.Json;
using System.Text.Json.Nodes;
using BucketMount.Backends;

namespace BucketMount.Cli.Configuration;

/// <summary>
/// The config file, ~/.config/bucketmount/remotes.json (or $BUCKETMOUNT_CONFIG): named remotes under "remotes"
/// and, for services that start mounts, a "mounts" array whose entries their own code reads. The first version of
/// the file was the "remotes" object alone ({"name": {"uri": …}}), still read as such. Secrets may live here, so the
/// file is written 0600 and a copy others can read gets a warning.
/// </summary>
internal sealed class ConfigFile
{
    private const string RemotesSection = "remotes";
    private const string MountsSection = "mounts";

    private static bool _warned;

    private ConfigFile(string path, Dictionary<string, NamedRemote> remotes, JsonArray mounts)
    {
        Path = path;
        Remotes = remotes;
        Mounts = mounts;
    }

    public static string DefaultPath =>
        Environment.GetEnvironmentVariable("BUCKETMOUNT_CONFIG") is { Length: > 0 } path ? path
        : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData, Environment.SpecialFolderOption.DoNotVerify), "bucketmount", "remotes.json");

    public string Path { get; }

    /// <summary>Named remotes, by name.</summary>
    public Dictionary<string, NamedRemote> Remotes { get; }

    /// <summary>The "mounts" section as written (its schema belongs to the service that reads it); kept on save.</summary>
    public JsonArray Mounts { get; }

    /// <summary>Reads the file (empty when missing); warns once per process when it holds secrets others can read.</summary>
    public static ConfigFile Load(string? path = null)
    {
        path ??= DefaultPath;
        if (!File.Exists(path))
        {
            return new ConfigFile(path, [], []);
        }

        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            // The message names the position, never the content (which may hold secrets).
            throw Invalid($"{path} is not valid JSON (line {e.LineNumber + 1}): fix it or move it away.");
        }

        if (root is not JsonObject document)
        {
            throw Invalid($"{path} does not hold a JSON object: it should look like {{\"remotes\": {{\"name\": {{\"uri\": \"s3://bucket\"}}}}}}.");
        }

        var remotesNode = IsSectioned(document) ? document[RemotesSection] as JsonObject ?? [] : document;
        var remotes = new Dictionary<string, NamedRemote>(StringComparer.Ordinal);
        foreach (var (name, value) in remotesNode)
        {
            try
            {
                remotes[name] = value?.Deserialize(CliJson.Default.NamedRemote) ?? throw new JsonException();
            }
            catch (JsonException)
            {
                throw Invalid($"the remote '{name}' in {path} is not an object with a \"uri\" string (and optional keys): fix it or remove it (bucketmount config remove {name}).");
            }
        }

        var mounts = IsSectioned(document) && document[MountsSection] is JsonArray array ? (JsonArray)array.DeepClone() : [];
        var file = new ConfigFile(path, remotes, mounts);
        file.WarnIfOthersCanRead();
        return file;
    }

    /// <summary>Writes the file in the sectioned form, private to its owner (0600), replacing it in one rename.</summary>
    public void Save()
    {
        var remotes = new JsonObject();
        foreach (var (name, remote) in Remotes.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            remotes[name] = JsonSerializer.SerializeToNode(remote, CliJson.Default.NamedRemote);
        }

        var document = new JsonObject { [RemotesSection] = remotes };
        if (Mounts.Count > 0)
        {
            document[MountsSection] = Mounts.DeepClone();
        }

        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);
        var temporary = Path + ".tmp";
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

        if (!OperatingSystem.IsWindows())
        {
            // An existing temp file keeps its mode through FileMode.Create: make sure the result is private.
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temporary, Path, overwrite: true);
    }

    /// <summary>Whether any remote in the file carries a secret (a key, token or connection string).</summary>
    public bool HoldsSecrets => Remotes.Values.Any(r => r.SecretNames().Any());

    /// <summary>The sectioned form has "remotes" holding remotes (objects without their own "uri"); a remote named "remotes" has a uri.</summary>
    private static bool IsSectioned(JsonObject document) =>
        document[RemotesSection] is JsonObject remotes && remotes["uri"] is null || document[MountsSection] is JsonArray;

    private void WarnIfOthersCanRead()
    {
        if (_warned || OperatingSystem.IsWindows() || !HoldsSecrets
            || (File.GetUnixFileMode(Path) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) == 0)
        {
            return;
        }

        _warned = true;
        Console.Error.WriteLine($"bucketmount: warning: {Path} holds keys and can be read by other users of this machine; run `chmod 600 {Path}`.");
    }

    private static ObjectStoreException Invalid(string message) => new(ObjectStoreErrorKind.InvalidArgument, message);
}
