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

    public static string SocketFor(string mountPoint) => Path.Combine(Folder(), HashOf(mountPoint) + ".sock");

    /// <summary>A short name for a mount point, the same however it is spelled (Windows: X:, x:\ and X:\ are one).</summary>
    public static string HashOf(string mountPoint)
    {
        var full = DriveLetter(mountPoint) is { } letter ? letter + @":\" : Path.TrimEndingDirectorySeparator(Path.GetFullPath(mountPoint));
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(full)))[..16];
    }

    /// <summary>The drive letter of "X:", "x:\" or (on Windows) "X"; null for anything else.</summary>
    private static char? DriveLetter(string mountPoint)
    {
        var text = mountPoint.Trim();
        var isDrive = text.Length > 0 && char.IsAsciiLetter(text[0])
            && (text.Length == 1 && OperatingSystem.IsWindows() || text.Length >= 2 && text[1] == ':' && (text.Length == 2 || text.Length == 3 && text[2] is '\\' or '/'));
        return isDrive ? char.ToUpperInvariant(text[0]) : null;
    }
}
