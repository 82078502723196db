using Amazon.S3;
using Amazon.S3.Model;

namespace BucketMount.Backends.S3;

/// <summary>Creating a bucket (`bucketmount mb`): outside <see cref="IObjectStore"/>, which works inside one bucket.</summary>
public static class S3BucketCreation
{
    /// <summary>
    /// Creates the bucket in the options' region (no LocationConstraint for us-east-1 and "auto", as S3 and R2
    /// expect). Returns false when the bucket already exists and is yours.
    /// </summary>
    public static async Task<bool> CreateAsync(S3StoreOptions options, CancellationToken cancellationToken)
    {
        options.Validate();
        using var client = S3ClientFactory.Create(options);
        var request = new PutBucketRequest { BucketName = options.Bucket };
        if (options.Region is not ("us-east-1" or "auto"))
        {
            request.BucketRegion = new S3Region(options.Region);
        }

        try
        {
            await client.PutBucketAsync(request, cancellationToken);
            return true;
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "BucketAlreadyOwnedByYou")
        {
            return false;
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "BucketAlreadyExists")
        {
            // Some servers (us-east-1's compatibles, s3rver) answer this for a bucket that is ours too: ask.
            if (await IsOursAsync(client, options.Bucket, cancellationToken))
            {
                return false;
            }

            throw new ObjectStoreException(ObjectStoreErrorKind.AccessDenied,
                "that bucket name is taken by another account (bucket names are global): choose another name.", options.Location);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw S3Errors.Map(e, options.Location, null);
        }
    }

    private static async Task<bool> IsOursAsync(AmazonS3Client client, string bucket, CancellationToken cancellationToken)
    {
        try
        {
            await client.ListObjectsAsync(new ListObjectsRequest { BucketName = bucket, MaxKeys = 1 }, cancellationToken);
            return true;
        }
        catch (AmazonS3Exception)
        {
            return false;
        }
    }
}
