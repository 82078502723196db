namespace BucketMount.Engine.Namespace;

/// <summary>
/// Maps paths to keys and key segments to names, with the platform's <see cref="NameEncoding"/>. The store is
/// already confined to the mount's prefix, so "/dir/file" is the key "dir/file" and an empty directory is the
/// marker "dir/". Segments no path can name — empty (from "a//b"), "." and "..", or over 255 bytes once
/// shown — are hidden, since no program could open them.
/// </summary>
/// <param name="encoding">How names map to key segments on this host.</param>
/// <param name="backslashInKeys">False when the store turns '\' into '/' (Azure): no key there holds a '\'.</param>
/// <param name="maxKeyBytes">The longest key, in UTF-8 bytes, the store takes below the mount's prefix.</param>
internal sealed class KeyMapper(NameEncoding encoding, bool backslashInKeys = true, int maxKeyBytes = int.MaxValue)
{
    public const int MaxNameBytes = 255;

    public NameEncoding Encoding { get; } = encoding;

    public string ToKey(string path)
    {
        var relative = path[1..];
        if (Encoding.Platform == NamePlatform.Linux)
        {
            // '/' is an ordinary character to the Linux mapping and ends every escape, so mapping the whole path
            // at once is mapping each segment; without a quote or a non-UTF-8 byte it returns the path itself.
            return LinuxNames.ToSegment(relative);
        }

        return string.Join('/', relative.Split('/').Select(Encoding.ToSegment));
    }

    /// <summary>The prefix under which a directory's children live ("" for the root).</summary>
    public string ToDirectoryPrefix(string path) => FsPath.IsRoot(path) ? "" : ToKey(path) + "/";

    /// <summary>The zero-byte object that keeps an empty directory (the rclone, s3fs and console convention).</summary>
    public string ToDirectoryMarker(string path) => ToKey(path) + "/";

    /// <summary>The name to show for a key segment, or null when no path can name it.</summary>
    public string? ToName(string segment)
    {
        if (segment.Length == 0 || segment is "." or ".." or Index.DirectoryIndexFormat.ReservedName || segment.Contains('\0'))
        {
            return null;
        }

        return Encoding.ToName(segment) is { } name && RawNames.ByteCount(name) <= MaxNameBytes ? name : null;
    }

    /// <summary>
    /// Throws when no key can stand for <paramref name="path"/>: a component over 255 bytes or a key longer than the
    /// store takes (ENAMETOOLONG, as a local file system answers even a lookup), or a '\' the store would turn
    /// into '/' (which would reach another object). Checked for every path a program gives, before any request.
    /// </summary>
    public void CheckPath(string path, int extraKeyBytes = 0)
    {
        if (FsPath.IsRoot(path))
        {
            return;
        }

        foreach (var name in path[1..].Split('/'))
        {
            if (RawNames.ByteCount(name) > MaxNameBytes)
            {
                throw new FileSystemException(FsError.NameTooLong, path, $"the name '{Shorten(name)}' is longer than {MaxNameBytes} bytes.");
            }
        }

        var key = ToKey(path);
        var keyBytes = System.Text.Encoding.UTF8.GetByteCount(key) + extraKeyBytes;
        if (keyBytes > maxKeyBytes)
        {
            throw new FileSystemException(FsError.NameTooLong, path,
                $"the path makes a key of {keyBytes} bytes; this store takes at most {maxKeyBytes} below the mount's prefix.");
        }

        if (!backslashInKeys && key.Contains('\\', StringComparison.Ordinal))
        {
            throw new FileSystemException(FsError.InvalidName, path, "this store turns '\\' in names into '/'; choose a name without a backslash.");
        }
    }

    /// <summary>Throws when a name given by a program cannot become a key segment.</summary>
    public void ValidateName(string path)
    {
        var name = FsPath.Name(path);
        if (name is "." or ".." || name.Length == 0)
        {
            throw new FileSystemException(FsError.InvalidName, path, $"'{name}' cannot be a file name.");
        }

        if (IsReserved(name))
        {
            throw new FileSystemException(FsError.InvalidName, path,
                $"'{name}' is reserved: bucketmount keeps each directory's metadata index under that name; choose another name.");
        }

        CheckPath(path);
    }

    /// <summary>True for the name each directory's metadata index takes (hidden, and refused for files).</summary>
    public bool IsReserved(string name) => Encoding.ToSegment(name) == Index.DirectoryIndexFormat.ReservedName;

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
