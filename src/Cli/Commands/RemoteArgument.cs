using System.CommandLine;
using BucketMount.Backends;
using BucketMount.Backends.Remotes;
using BucketMount.Cli.Configuration;
using BucketMount.Engine;

namespace BucketMount.Cli.Commands;

/// <summary>The REMOTE argument every object command takes, and turning it into a store.</summary>
internal static class RemoteArgument
{
    public static Argument<string> Create(string description = "The remote: s3://bucket[/prefix], r2://account/bucket, az://account/container, file:///folder, mem://name, or name: from the config file.") =>
        new("remote") { Description = description };

    /// <summary>For commands where the remote may be left out (the embedded local store is used then).</summary>
    public const string OptionalDescription = "The remote (s3://…, gs://…, r2://…, az://…, file:///…, name: from the config file); left out: the embedded local store.";

    /// <summary>A command line that gave the remote but not what follows it: says what is missing, exit code 2.</summary>
    public static async Task<int> MissingAsync(string message)
    {
        await Console.Error.WriteLineAsync("bucketmount: " + PrintableNames.EscapeControls(message));
        return 2;
    }

    /// <summary>Runs <paramref name="action"/> on the remote's store and turns store errors into a message and exit code 2.</summary>
    public static async Task<int> RunAsync(string? remoteText, Func<IObjectStore, RemoteUri, Task<int>> action)
    {
        try
        {
            var (remote, credentials) = RemoteConfig.Resolve(remoteText);
            await using var store = ObjectStoreFactory.Create(remote, credentials);
            return await action(store, remote);
        }
        catch (Exception e) when (e is ObjectStoreException or FileSystemException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync("bucketmount: " + PrintableNames.EscapeControls(e.Message));
            return 2;
        }
    }
}
