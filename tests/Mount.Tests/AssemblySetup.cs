using BucketMount.TestSupport;

namespace BucketMount.Mount.Tests;

[TestClass]
public static class AssemblySetup
{
    [AssemblyInitialize]
    public static void Start(TestContext context)
    {
        // Mount processes inherit these: the emulators' credentials, and no trip to the EC2 metadata service.
        Emulators.KeepAwsOnLoopback();
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", S3Buckets.AccessKey);
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", S3Buckets.SecretKey);
        Environment.SetEnvironmentVariable("AZURE_STORAGE_KEY", BucketMount.Backends.Azure.AzureBlobStoreOptions.DevelopmentKey);
    }

    [AssemblyCleanup]
    public static void Stop() => Emulators.StopAll();
}
