using System.Globalization;

namespace BucketMount.TestSupport;

/// <summary>
/// The emulators of one test run, each started on first use on a free 127.0.0.1 port. A start that fails throws,
/// so every test that needs the emulator fails loudly. Each test assembly calls <see cref="StopAll"/> in its
/// AssemblyCleanup, which stops them by PID.
/// </summary>
public static class Emulators
{
    // Through our starter, which makes s3rver answer a PUT only once the object is readable (see the script).
    private static readonly Lazy<Task<EmulatorProcess>> S3rverInstance = new(() =>
    {
        EmulatorProcess.RequireModuleFile("s3rver/lib/stores/filesystem.js");
        return EmulatorProcess.StartAsync("s3rver", Path.Combine(EmulatorProcess.EmulatorsDirectory, "start-s3rver.cjs"),
            (port, data) => [port.ToString(CultureInfo.InvariantCulture), data]);
    });

    private static readonly Lazy<Task<EmulatorProcess>> FauxqsInstance = new(() => EmulatorProcess.StartAsync("fauxqs",
        Path.Combine(EmulatorProcess.EmulatorsDirectory, "start-fauxqs.mjs"),
        (port, _) => [port.ToString(CultureInfo.InvariantCulture)]));

    private static readonly Lazy<Task<EmulatorProcess>> AzuriteInstance = new(() => EmulatorProcess.StartAsync("azurite",
        EmulatorProcess.RequireModuleFile("azurite/dist/src/blob/main.js"),
        (port, data) => ["--blobHost", "127.0.0.1", "--blobPort", port.ToString(CultureInfo.InvariantCulture), "--location", data, "--silent", "--skipApiVersionCheck"]));

    public static Task<EmulatorProcess> S3rver => S3rverInstance.Value;

    public static Task<EmulatorProcess> Fauxqs => FauxqsInstance.Value;

    public static Task<EmulatorProcess> Azurite => AzuriteInstance.Value;

    /// <summary>The AWS SDK's default credential chain may ask the EC2 metadata service, which is not on loopback.</summary>
    public static void KeepAwsOnLoopback() => Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");

    public static void StopAll()
    {
        foreach (var instance in new[] { S3rverInstance, FauxqsInstance, AzuriteInstance })
        {
            if (instance.IsValueCreated && instance.Value.IsCompletedSuccessfully)
            {
                instance.Value.Result.Dispose();
            }
        }
    }
}
