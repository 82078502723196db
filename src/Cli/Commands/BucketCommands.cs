using System.CommandLine;
using BucketMount.Backends;
using BucketMount.Backends.Azure;
using BucketMount.Backends.Remotes;
using BucketMount.Backends.S3;
using BucketMount.Cli.Configuration;

namespace BucketMount.Cli.Commands;

/// <summary>`mb` (make a bucket) and `size` (objects and bytes under a prefix): what users reach for around a mount.</summary>
internal static class BucketCommands
{
    public static Command MakeBucket()
    {
        var remote = RemoteArgument.Create("The bucket to create: s3://bucket, gs://bucket, r2://account/bucket, az://account/container, file:///folder.");
        var region = new Option<string?>("--region") { Description = "Where the bucket lives (S3: e.g. eu-west-1; default: the remote's ?region= or us-east-1)." };
        var command = new Command("mb", "Create a bucket (an existing one of yours is left as it is).") { remote, region };
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var (uri, credentials) = RemoteConfig.Resolve(parse.GetValue(remote));
                if (uri.Prefix.Length > 0)
                {
                    throw new ArgumentException($"mb creates a whole bucket: give {uri with { Prefix = "" }} without the prefix '{uri.Prefix}'.");
                }

                bool created;
                switch (uri.Kind)
                {
                    case RemoteKind.S3 or RemoteKind.R2 or RemoteKind.Gcs:
                        var options = ObjectStoreFactory.S3Options(uri, credentials);
                        if (parse.GetValue(region) is { Length: > 0 } wanted)
                        {
                            options = options with { Region = wanted };
                        }

                        created = await S3BucketCreation.CreateAsync(options, ct);
                        break;
                    case RemoteKind.File:
                        created = !Directory.Exists(uri.LocalPath);
                        Directory.CreateDirectory(uri.LocalPath!);
                        break;
                    case RemoteKind.Memory:
                        created = true;
                        break;
                    case RemoteKind.Azure:
                        // Containers have no region of their own (the storage account has one).
                        await using (var container = new AzureBlobObjectStore(ObjectStoreFactory.AzureOptions(uri, credentials)))
                        {
                            created = await container.CreateContainerAsync(ct);
                        }

                        break;
                    default:
                        throw new ArgumentException($"mb cannot create {uri.Kind} remotes.");
                }

                Console.WriteLine(created ? $"Created {UriSecrets.Redact(uri.ToString())}." : $"{UriSecrets.Redact(uri.ToString())} already exists and is yours; left as it is.");
                return 0;
            }
            catch (Exception e) when (e is ObjectStoreException or ArgumentException or IOException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync("bucketmount: " + PrintableNames.EscapeControls(e.Message));
                return 2;
            }
        });
        return command;
    }

    public static Command Size()
    {
        var remote = RemoteArgument.Create();
        remote.Arity = ArgumentArity.ZeroOrOne;
        var prefix = new Option<string>("--prefix") { Description = "Only keys below this prefix.", DefaultValueFactory = _ => "" };
        var all = new Option<bool>("--all", "-a") { Description = "Count the mount's own metadata indexes too." };
        var command = new Command("size", "Count the objects and bytes under a remote (default: the embedded local store).") { remote, prefix, all };
        RemoteArgument.AddLogLevel(command);
        command.SetAction((parse, ct) => RemoteArgument.RunAsync(parse, parse.GetValue(remote), async (store, _) =>
        {
            long objects = 0, bytes = 0;
            await foreach (var entry in store.ListAsync(parse.GetValue(prefix)!, null, ct))
            {
                if (entry.Object is { } info && (parse.GetValue(all) || !ObjectCommands.IsMetadataIndex(entry.Key)))
                {
                    objects++;
                    bytes += info.Size;
                }
            }

            Console.WriteLine($"{objects} objects, {bytes} bytes ({Human(bytes)})");
            return 0;
        }));
        return command;
    }

    private static string Human(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? $"{bytes} B" : $"{value.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)} {units[unit]}";
    }
}
