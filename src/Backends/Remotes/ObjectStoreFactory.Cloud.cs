using System.Globalization;
using BucketMount.Backends.Azure;
using BucketMount.Backends.S3;

namespace BucketMount.Backends.Remotes;

public static partial class ObjectStoreFactory
{
    private static IObjectStore CreateS3(RemoteUri remote, RemoteCredentials credentials) => new S3ObjectStore(S3Options(remote, credentials));

    /// <summary>The S3 settings an s3://, r2:// or gs:// remote stands for: the kind's defaults, then its query options.</summary>
    public static S3StoreOptions S3Options(RemoteUri remote, RemoteCredentials credentials)
    {
        var parameters = remote.Parameters;
        var options = remote.Kind switch
        {
            RemoteKind.R2 => S3StoreOptions.ForR2(remote.Account!, remote.Bucket!),
            RemoteKind.Gcs => S3StoreOptions.ForGcs(remote.Bucket!),
            _ => new S3StoreOptions { Bucket = remote.Bucket! },
        };
        options = options with
        {
            Endpoint = parameters.GetValueOrDefault("endpoint") ?? options.Endpoint,
            Region = parameters.GetValueOrDefault("region") ?? options.Region,
            ForcePathStyle = parameters.TryGetValue("path_style", out var pathStyle) ? Flag(remote, "path_style", pathStyle) : options.ForcePathStyle,
            ListVersion = parameters.TryGetValue("list_version", out var version) ? ParseInt(remote, "list_version", version) : options.ListVersion,
            ConditionalWrites = parameters.TryGetValue("conditional_writes", out var conditional) ? Flag(remote, "conditional_writes", conditional) : options.ConditionalWrites,
            ConditionalReads = parameters.TryGetValue("conditional_reads", out var conditionalReads) ? Flag(remote, "conditional_reads", conditionalReads) : options.ConditionalReads,
            BatchDelete = parameters.TryGetValue("batch_delete", out var batchDelete) ? Flag(remote, "batch_delete", batchDelete) : options.BatchDelete,
            Profile = parameters.GetValueOrDefault("profile") ?? credentials.S3Profile,
            AccessKeyId = credentials.S3AccessKeyId,
            SecretAccessKey = credentials.S3SecretAccessKey,
            SessionToken = credentials.S3SessionToken,
        };
        if (options.AccessKeyId is not null)
        {
            // Explicit keys win over a profile from the environment, as in the AWS CLI.
            options = options with { Profile = null };
        }

        return options;
    }

    /// <summary>
    /// The credentials an s3://, r2:// or gs:// remote signs with, resolved exactly as its store resolves them (keys from
    /// the environment or the config file, a profile, the AWS default chain): for the gateway, which signs by itself.
    /// </summary>
    public static Amazon.Runtime.AWSCredentials S3Credentials(RemoteUri remote, RemoteCredentials credentials) => S3ClientFactory.CredentialsFor(S3Options(remote, credentials));

    /// <summary>The Azure store options an az:// remote and its credentials name (also what `mb` creates a container with).</summary>
    public static AzureBlobStoreOptions AzureOptions(RemoteUri remote, RemoteCredentials credentials)
    {
        var options = AzureSignIn.Options(remote, credentials);
        if (remote.Parameters.GetValueOrDefault("endpoint") is { } endpoint)
        {
            options = options with { Endpoint = endpoint };
        }

        if (options.Account != remote.Account)
        {
            throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument,
                $"the remote names account '{remote.Account}' but the connection string is for '{options.Account}': use one account.", remote.ToString());
        }

        return options;
    }

    private static IObjectStore CreateAzure(RemoteUri remote, RemoteCredentials credentials) => new AzureBlobObjectStore(AzureOptions(remote, credentials));

    /// <summary>A yes/no option; anything else is refused rather than read as "no" (path_style=ture would silently change the addressing).</summary>
    private static bool Flag(RemoteUri remote, string name, string value) => value.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" or "on" => true,
        "false" or "0" or "no" or "off" => false,
        _ => throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument, $"the option {name}={value} is not true or false.", remote.ToString()),
    };

    private static int ParseInt(RemoteUri remote, string name, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument, $"the option {name}={value} is not a number.", remote.ToString());
}
