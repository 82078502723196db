using Amazon.Runtime;
using Amazon.S3;
using BucketMount.Backends.S3;

namespace BucketMount.TestSupport;

/// <summary>Creates a fresh bucket on an S3 emulator and a store pointed at it.</summary>
public static class S3Buckets
{
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";

    public static async Task<string> CreateBucketAsync(EmulatorProcess emulator, CancellationToken cancellationToken)
    {
        var bucket = "t-" + Guid.NewGuid().ToString("N")[..20];
        using var admin = AdminClient(emulator);
        await admin.PutBucketAsync(bucket, cancellationToken);
        return bucket;
    }

    /// <summary>A plain SDK client on the emulator, for what a test checks beneath the store interface.</summary>
    public static AmazonS3Client AdminClient(EmulatorProcess emulator) =>
        new(new BasicAWSCredentials(AccessKey, SecretKey), new AmazonS3Config
        {
            ServiceURL = emulator.Endpoint,
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            UseHttp = true,
        });

    public static async Task<S3ObjectStore> CreateAsync(EmulatorProcess emulator, Func<S3StoreOptions, S3StoreOptions> configure, CancellationToken cancellationToken) =>
        new(configure(new S3StoreOptions
        {
            Bucket = await CreateBucketAsync(emulator, cancellationToken),
            Endpoint = emulator.Endpoint,
            ForcePathStyle = true,
            AccessKeyId = AccessKey,
            SecretAccessKey = SecretKey,
        }));

    /// <summary>s3rver's settings: V1 listing, no conditional headers, no batch delete (see the README's emulator gaps).</summary>
    public static S3StoreOptions ForS3rver(S3StoreOptions options) =>
        options with { ListVersion = 1, ConditionalWrites = false, ConditionalReads = false, BatchDelete = false };
}
