namespace BucketMount.Backends.Azure;

/// <summary>Creating the container (`bucketmount mb az://account/container`): outside IObjectStore, which works inside one.</summary>
public sealed partial class AzureBlobObjectStore
{
    /// <summary>Creates the container; false when it exists already (and this sign-in can see it).</summary>
    public async Task<bool> CreateContainerAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var _ = await SendAsync(HttpMethod.Put, null, "restype=container", null, RequestKind.Put, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ObjectStoreException refused) when (refused.Kind == ObjectStoreErrorKind.PreconditionFailed)
        {
            // 409: the container exists, or one of that name is being deleted. Its properties tell which: an
            // existing container answers, a deleted one is "not found" and the refusal stands.
            try
            {
                using var _ = await SendAsync(HttpMethod.Head, null, "restype=container", null, RequestKind.Head, cancellationToken).ConfigureAwait(false);
                return false;
            }
            catch (ObjectStoreException e) when (e.Kind == ObjectStoreErrorKind.NotFound)
            {
                throw new ObjectStoreException(ObjectStoreErrorKind.PreconditionFailed,
                    "a container of that name is being deleted: try again in a minute.", Description, null, refused);
            }
        }
    }
}
