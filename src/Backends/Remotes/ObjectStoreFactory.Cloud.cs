namespace BucketMount.Backends.Remotes;

public static partial class ObjectStoreFactory
{
    private static IObjectStore CreateS3(RemoteUri remote, RemoteCredentials credentials) =>
        throw new ObjectStoreException(ObjectStoreErrorKind.NotSupported, "S3 remotes are being wired in.", remote.ToString());

    private static IObjectStore CreateAzure(RemoteUri remote, RemoteCredentials credentials) =>
        throw new ObjectStoreException(ObjectStoreErrorKind.NotSupported, "Azure remotes are being wired in.", remote.ToString());
}
