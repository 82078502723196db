namespace BucketMount.Cli.Mounting;

/// <summary>Where running mounts listen for status and unmount requests: a folder only the user can enter.</summary>
internal static class ControlPaths
{
    public static string Folder()
    {
        var runtime = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        var folder = runtime is { Length: > 0 } && Directory.Exists(runtime)
            ? Path.Combine(runtime, "bucketmount")
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "bucketmount", "run");
        Directory.CreateDirectory(folder);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return folder;
    }

    public static string SocketFor(string mountPoint)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(mountPoint));
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(full)))[..16];
        return Path.Combine(Folder(), hash + ".sock");
    }
}
