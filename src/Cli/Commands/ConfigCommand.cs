using System.CommandLine;
using BucketMount.Backends;
using BucketMount.Backends.Remotes;
using BucketMount.Cli.Configuration;

namespace BucketMount.Cli.Commands;

/// <summary>
/// `bucketmount config list|show|add|remove`: the named remotes of the config file. Nothing here prints a secret:
/// a stored key shows as "(stored)", and `add` takes secrets only from the environment, never from its arguments
/// (which shell history and process lists keep).
/// </summary>
internal static class ConfigCommand
{
    public static Command Create()
    {
        var command = new Command("config", $"List, show, add and remove named remotes in the config file ({DisplayPath()}; $BUCKETMOUNT_CONFIG names another).")
        {
            List(), Show(), Add(), Remove(),
        };
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "Name and URI of every remote in the config file (secrets are never shown).");
        command.SetAction(_ => Run(() =>
        {
            var file = ConfigFile.Load();
            Console.WriteLine($"# {file.Path}");
            if (file.Remotes.Count == 0)
            {
                Console.WriteLine("(no remotes: add one with `bucketmount config add NAME URI`)");
            }

            foreach (var (name, remote) in file.Remotes.OrderBy(r => r.Key, StringComparer.Ordinal))
            {
                var secrets = remote.SecretNames().ToList();
                Console.WriteLine($"{name}\t{UriSecrets.Redact(remote.Uri)}{(secrets.Count > 0 ? "\t(credentials stored)" : "")}");
            }

            return 0;
        }));
        return command;
    }

    private static Command Show()
    {
        var name = new Argument<string>("name") { Description = "The remote's name." };
        var command = new Command("show", "One remote's URI and which credentials it stores (never their values).") { name };
        command.SetAction(parse => Run(() =>
        {
            var file = ConfigFile.Load();
            var remote = Find(file, parse.GetValue(name)!);
            Console.WriteLine($"name: {parse.GetValue(name)}");
            Console.WriteLine($"uri: {UriSecrets.Redact(remote.Uri)}");
            if (remote.AccessKeyId is { } id)
            {
                // An access key id names the key, it is not the secret (AWS prints it in `aws configure list` too).
                Console.WriteLine($"accessKeyId: {id}");
            }

            foreach (var secret in remote.SecretNames())
            {
                Console.WriteLine($"{secret}: (stored)");
            }

            Console.WriteLine($"file: {file.Path}");
            return 0;
        }));
        return command;
    }

    private static Command Add()
    {
        var name = new Argument<string>("name") { Description = "A name to use as NAME: (or NAME:sub/prefix) wherever a remote is expected." };
        var uri = new Argument<string>("uri") { Description = "The remote's URI (s3://bucket?endpoint=…, az://account/container, …), without secrets." };
        var fromEnvironment = new Option<bool>("--credentials-from-env")
        {
            Description = "Store the credentials set in the environment now (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN, AZURE_STORAGE_CONNECTION_STRING) with the remote.",
        };
        var replace = new Option<bool>("--replace") { Description = "Replace a remote of the same name." };
        var command = new Command("add", "Add a named remote to the config file (written private to you, 0600).") { name, uri, fromEnvironment, replace };
        command.SetAction(parse => Run(() =>
        {
            var remoteName = parse.GetValue(name)!;
            if (remoteName.Length == 0 || !remoteName.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                throw new ArgumentException($"the name '{remoteName}' may hold only letters, digits, '-', '_' and '.' (it is used as NAME: before a prefix).");
            }

            var text = parse.GetValue(uri)!;
            RemoteUri.Parse(text); // refuses a URI with a secret, a misspelt option or an unknown scheme before anything is written
            var file = ConfigFile.Load();
            if (file.Remotes.ContainsKey(remoteName) && !parse.GetValue(replace))
            {
                throw new ArgumentException($"a remote named '{remoteName}' is already in {file.Path}: add --replace to replace it.");
            }

            var environment = parse.GetValue(fromEnvironment) ? RemoteCredentials.FromEnvironment() : new RemoteCredentials();
            file.Remotes[remoteName] = new NamedRemote
            {
                Uri = text,
                AccessKeyId = environment.S3AccessKeyId,
                SecretAccessKey = environment.S3SecretAccessKey,
                SessionToken = environment.S3SessionToken,
                AzureAccountKey = environment.AzureAccountKey,
                AzureSasToken = environment.AzureSasToken,
                AzureConnectionString = environment.AzureConnectionString,
            };
            file.Save();
            var stored = file.Remotes[remoteName].SecretNames().ToList();
            Console.WriteLine($"Added {remoteName} ({UriSecrets.Redact(text)}) to {file.Path}{(stored.Count > 0 ? $" with {string.Join(", ", stored)}" : "")}. Use it as {remoteName}: (e.g. bucketmount ls {remoteName}:).");
            return 0;
        }));
        return command;
    }

    private static Command Remove()
    {
        var name = new Argument<string>("name") { Description = "The remote's name." };
        var command = new Command("remove", "Remove a named remote (and the credentials stored with it) from the config file.") { name };
        command.SetAction(parse => Run(() =>
        {
            var file = ConfigFile.Load();
            Find(file, parse.GetValue(name)!);
            file.Remotes.Remove(parse.GetValue(name)!);
            file.Save();
            Console.WriteLine($"Removed {parse.GetValue(name)} from {file.Path}.");
            return 0;
        }));
        return command;
    }

    private static NamedRemote Find(ConfigFile file, string name) =>
        file.Remotes.TryGetValue(name, out var remote) ? remote
        : throw new ArgumentException($"no remote named '{name}' in {file.Path}{Suggestions.DidYouMean(name, file.Remotes.Keys)}; `bucketmount config list` shows them.");

    private static string DisplayPath() =>
        Environment.GetEnvironmentVariable("BUCKETMOUNT_CONFIG") is { Length: > 0 } ? "$BUCKETMOUNT_CONFIG" : "~/.config/bucketmount/remotes.json";

    private static int Run(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is ObjectStoreException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine("bucketmount: " + PrintableNames.EscapeControls(e.Message));
            return 2;
        }
    }
}
