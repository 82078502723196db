using System.CommandLine;
using BucketMount.Backends;
using BucketMount.Backends.Remotes;
using BucketMount.Cli.Configuration;
using BucketMount.Cli.Logging;
using BucketMount.Engine;
using Microsoft.Extensions.Logging;

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

    private const string LogLevelName = "--log-level";

    /// <summary>Gives an object command `--log-level` (Debug: one line per store request on standard error, as `mount` logs them).</summary>
    public static void AddLogLevel(Command command) => command.Options.Add(OptionValues.Create(LogLevelName,
        "Debug (every store request, on standard error), Information, Warning, Error or None.", OptionValues.Choice<LogLevel>(LogLevelName), () => LogLevel.Warning));

    /// <summary>As <see cref="RunAsync(string?, Func{IObjectStore, RemoteUri, Task{int}}, LogLevel)"/>, logging at the command's --log-level (<see cref="AddLogLevel"/>).</summary>
    public static Task<int> RunAsync(ParseResult parse, string? remoteText, Func<IObjectStore, RemoteUri, Task<int>> action) =>
        RunAsync(remoteText, action, parse.GetValue<LogLevel>(LogLevelName));

    /// <summary>Runs <paramref name="action"/> on the remote's store and turns store errors into a message and exit code 2.</summary>
    public static async Task<int> RunAsync(string? remoteText, Func<IObjectStore, RemoteUri, Task<int>> action, LogLevel level = LogLevel.Warning)
    {
        try
        {
            var (remote, credentials) = RemoteConfig.Resolve(remoteText);
            using var loggers = new SimpleLoggerProvider(level, file: null);
            await using var store = ObjectStoreFactory.Create(remote, credentials, logger: loggers.CreateLogger("BucketMount.Store"));
            return await action(store, remote);
        }
        catch (Exception e) when (e is ObjectStoreException or FileSystemException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync("bucketmount: " + PrintableNames.EscapeControls(e.Message));
            return 2;
        }
    }
}
