using BucketMount.Engine.Hosting;

namespace BucketMount.Fuse;

/// <summary>
/// Which processes keep a mount busy, as `fuser -m` tells: a working directory, a root or an open file under it.
/// Read from /proc, which names paths without asking the file system (no FUSE request is sent, so a hung mount
/// cannot hang this). Processes of other users are visible to root only; others are skipped quietly.
/// </summary>
public static class MountHolders
{
    /// <summary>At most this many processes are named; a shell loop inside the mount should not flood the message.</summary>
    private const int MaxHolders = 20;

    public static IReadOnlyList<MountHolder> Find(string mountPoint)
    {
        var root = Path.TrimEndingDirectorySeparator(mountPoint);
        var holders = new List<MountHolder>();
        IEnumerable<string> processes;
        try
        {
            processes = Directory.EnumerateDirectories("/proc");
        }
        catch (IOException)
        {
            return holders;
        }

        foreach (var process in processes)
        {
            if (!int.TryParse(Path.GetFileName(process), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            if (UseOf(process, root) is { } use)
            {
                holders.Add(new MountHolder(pid, CommandOf(process), use));
                if (holders.Count == MaxHolders)
                {
                    break;
                }
            }
        }

        return holders;
    }

    private static string? UseOf(string process, string root)
    {
        if (Inside(Link(Path.Combine(process, "cwd")), root))
        {
            return "working directory";
        }

        if (Inside(Link(Path.Combine(process, "root")), root))
        {
            return "root directory";
        }

        try
        {
            foreach (var descriptor in Directory.EnumerateFileSystemEntries(Path.Combine(process, "fd")))
            {
                if (Link(descriptor) is { } target && Inside(target, root))
                {
                    return "open file " + target;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The process ended, or belongs to another user: nothing to say about it.
        }

        return null;
    }

    private static bool Inside(string? path, string root) =>
        path is not null && (path == root || path.StartsWith(root + "/", StringComparison.Ordinal));

    private static string? Link(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string CommandOf(string process)
    {
        try
        {
            return File.ReadAllText(Path.Combine(process, "comm")).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "?";
        }
    }
}
