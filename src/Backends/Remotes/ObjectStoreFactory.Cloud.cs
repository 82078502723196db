using System.Globalization;
using BucketMount.Backends.Azure;
using BucketMount.Backends.S3;

namespace BucketMount.Backends.Remotes;

public static partial class ObjectStoreFactory
{
    private static IObjectStore CreateS3(RemoteUri remote, RemoteCredentials credentials)
    {
        var parameters = remote.Parameters;
        var options = remote.Kind == RemoteKind.R2
            ? S3StoreOptions.ForR2(remote.Account!, remote.Bucket!)
            : new S3StoreOptions { Bucket = remote.Bucket! };
        options = options with
        {
            Endpoint = parameters.GetValueOrDefault("endpoint") ?? options.Endpoint,
            Region = parameters.GetValueOrDefault("region") ?? options.Region,
            ForcePathStyle = parameters.TryGetValue("path_style", out var pathStyle) ? IsTrue(pathStyle) : options.ForcePathStyle,
            ListVersion = parameters.TryGetValue("list_version", out var version) ? ParseInt(remote, "list_version", version) : options.ListVersion,
            ConditionalWrites = !parameters.TryGetValue("conditional_writes", out var conditional) || IsTrue(conditional),
            ConditionalReads = !parameters.TryGetValue("conditional_reads", out var conditionalReads) || IsTrue(conditionalReads),
            BatchDelete = !parameters.TryGetValue("batch_delete", out var batchDelete) || IsTrue(batchDelete),
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

        return new S3ObjectStore(options);
    }

    private static IObjectStore CreateAzure(RemoteUri remote, RemoteCredentials credentials)
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

        return new AzureBlobObjectStore(options);
    }

    private static bool IsTrue(string value) => value is "true" or "1" or "yes" or "on";

    private static int ParseInt(RemoteUri remote, string name, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument, $"the option {name}={value} is not a number.", remote.ToString());
}
