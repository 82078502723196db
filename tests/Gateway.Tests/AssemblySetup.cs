using BucketMount.TestSupport;

[assembly: Parallelize(Workers = 2, Scope = ExecutionScope.ClassLevel)]

namespace BucketMount.Gateway.Tests;

[TestClass]
public static class AssemblySetup
{
    [AssemblyInitialize]
    public static void Start(TestContext context) => Emulators.KeepAwsOnLoopback();

    [AssemblyCleanup]
    public static void Stop() => Emulators.StopAll();
}
