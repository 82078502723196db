using BucketMount.Cli.Configuration;

namespace BucketMount.Cli.Service;

/// <summary>
/// Where the service keeps its configuration and logs. On Windows it runs as LocalSystem, whose own profile no user
/// edits: its file is machine-wide, %ProgramData%\bucketmount\remotes.json, edited with an elevated `bucketmount
/// mounts` (the folder keeps ProgramData's inherited permissions, which let users read: the README says so). Elsewhere
/// (a systemd user service) it is the user's own config file. BUCKETMOUNT_CONFIG overrides both.
/// </summary>
internal static class ServicePaths
{
    public static string ConfigFile =>
        Environment.GetEnvironmentVariable("BUCKETMOUNT_CONFIG") is { Length: > 0 } path ? path
        : OperatingSystem.IsWindows() ? Path.Combine(MachineFolder, "remotes.json")
        : RemoteConfig.FilePath;

    public static string LogFolder =>
        Environment.GetEnvironmentVariable("BUCKETMOUNT_SERVICE_LOGS") is { Length: > 0 } path ? path
        : OperatingSystem.IsWindows() ? Path.Combine(MachineFolder, "logs")
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "bucketmount", "logs");

    /// <summary>%ProgramData%\bucketmount on Windows: the service's configuration and logs.</summary>
    public static string MachineFolder => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.CommonApplicationData), "bucketmount");
}
