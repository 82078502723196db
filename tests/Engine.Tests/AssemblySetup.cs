using BucketMount.TestSupport;

namespace BucketMount.Engine.Tests;

[TestClass]
public static class AssemblySetup
{
    [AssemblyInitialize]
    public static void Start(TestContext context) => Emulators.KeepAwsOnLoopback();

    [AssemblyCleanup]
    public static void Stop() => Emulators.StopAll();
}
