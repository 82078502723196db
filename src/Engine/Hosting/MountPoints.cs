namespace BucketMount.Engine.Hosting;

/// <summary>Checks shared by the hosts that mount onto a directory.</summary>
public static class MountPoints
{
    /// <summary>The full path of <paramref name="mountPoint"/>, which must be an existing, empty directory.</summary>
    public static string RequireEmptyDirectory(string mountPoint)
    {
        mountPoint = Path.GetFullPath(mountPoint);
        if (File.Exists(mountPoint))
        {
            throw new ArgumentException($"the mount point '{mountPoint}' is a file, not a directory: mount at an empty directory.");
        }

        if (!Directory.Exists(mountPoint))
        {
            var create = OperatingSystem.IsWindows() ? $"mkdir \"{mountPoint}\"" : $"mkdir -p {mountPoint}";
            throw new ArgumentException($"the mount point '{mountPoint}' does not exist: create it first ({create}).");
        }

        if (Directory.EnumerateFileSystemEntries(mountPoint).Any())
        {
            throw new ArgumentException($"the mount point '{mountPoint}' is not empty or is already mounted: use an empty directory.");
        }

        return mountPoint;
    }
}
