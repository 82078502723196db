namespace BucketMount.Dokan.Tests;

[TestClass]
public static class AssemblySetup
{
    [AssemblyInitialize]
    public static void Start(TestContext context) => Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");
}
