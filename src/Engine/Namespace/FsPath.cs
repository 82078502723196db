namespace BucketMount.Engine.Namespace;

/// <summary>
/// Paths as hosts give them: "/" or "/dir/file", '/'-separated, no trailing slash. <see cref="KeyMapper"/> turns
/// them into keys.
/// </summary>
public static class FsPath
{
    public const string Root = "/";

    /// <summary>
    /// Normalizes a host path: one leading '/', no trailing '/', no empty segments. Only where '\' separates
    /// (<paramref name="backslashSeparates"/>, the Windows host) does it become '/'; on Linux it is an ordinary
    /// character of a name, and "sub\victim" must never reach "sub/victim".
    /// </summary>
    public static string Normalize(string path, bool backslashSeparates = false)
    {
        if (string.IsNullOrEmpty(path) || path == Root)
        {
            return Root;
        }

        var trimmed = (backslashSeparates ? path.Replace('\\', '/') : path).Trim('/');
        if (trimmed.Contains("//", StringComparison.Ordinal))
        {
            trimmed = string.Join('/', trimmed.Split('/', StringSplitOptions.RemoveEmptyEntries));
        }

        return "/" + trimmed;
    }

    public static bool IsRoot(string path) => path == Root;

    public static string Parent(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash <= 0 ? Root : path[..slash];
    }

    public static string Name(string path) => path[(path.LastIndexOf('/') + 1)..];

    public static string Combine(string directory, string name) => IsRoot(directory) ? "/" + name : directory + "/" + name;

    /// <summary>True when <paramref name="path"/> is <paramref name="ancestor"/> or lies below it.</summary>
    public static bool IsSelfOrBelow(string path, string ancestor) =>
        IsRoot(ancestor) || path == ancestor || path.StartsWith(ancestor + "/", StringComparison.Ordinal);

    /// <summary>Moves <paramref name="path"/> from below <paramref name="from"/> to below <paramref name="to"/>.</summary>
    public static string Rebase(string path, string from, string to) => path == from ? to : to + path[from.Length..];
}
