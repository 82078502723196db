using BucketMount.Cli.Configuration;
using BucketMount.Hosting;

namespace BucketMount.Cli.Service;

/// <summary>
/// `bucketmount service --stop --remove-data` (the uninstaller with REMOVEUSERDATA=1): once the service has stopped
/// with every change in the store, removes what it kept on this machine: %ProgramData%\bucketmount (configuration,
/// keys, logs) and the default caches (LocalSystem's %LOCALAPPDATA%\bucketmount\cache). A cache a mount names with
/// --cache-dir is the user's own folder and is left, and said so.
/// </summary>
internal static class ServiceDataRemover
{
    public static int Remove(TextWriter output)
    {
        var ownCaches = new List<string>();
        try
        {
            foreach (var mount in MountsConfig.Load(ServicePaths.ConfigFile))
            {
                var at = mount.Options.ToList().IndexOf("--cache-dir");
                if (at >= 0 && at + 1 < mount.Options.Count)
                {
                    ownCaches.Add(mount.Options[at + 1]);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            output.WriteLine($"bucketmount: could not read {ServicePaths.ConfigFile} ({e.Message}); caches set with --cache-dir, if any, are left.");
        }

        var failed = false;
        foreach (var folder in new[] { MountedBucket.DefaultCacheRoot, ServicePaths.MachineFolder })
        {
            try
            {
                if (Directory.Exists(folder))
                {
                    Directory.Delete(folder, recursive: true);
                    output.WriteLine($"Removed {folder}");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                output.WriteLine($"bucketmount: could not remove {folder}: {e.Message}");
                failed = true;
            }
        }

        foreach (var cache in ownCaches)
        {
            output.WriteLine($"Left {cache} (a mount's own --cache-dir): remove it by hand if you no longer need it.");
        }

        return failed ? 1 : 0;
    }
}
