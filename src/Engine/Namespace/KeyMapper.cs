using System.Text;

namespace BucketMount.Engine.Namespace;

/// <summary>
/// Maps paths to keys and key segments to names, with the platform's <see cref="NameEncoding"/>. The store is
/// already confined to the mount's prefix, so "/dir/file" is the key "dir/file" and an empty directory is the
/// marker "dir/". Segments no path can name — empty (from "a//b"), "." and "..", or over 255 bytes once
/// shown — are hidden, since no program could open them.
/// </summary>
public sealed class KeyMapper(NameEncoding encoding, bool backslashInKeys = true)
{
    public const int MaxNameBytes = 255;

    public NameEncoding Encoding { get; } = encoding;

    public string ToKey(string path)
    {
        if (Encoding.Platform == NamePlatform.Linux)
        {
            return path[1..];
        }

        return string.Join('/', path[1..].Split('/').Select(Encoding.ToSegment));
    }

    /// <summary>The prefix under which a directory's children live ("" for the root).</summary>
    public string ToDirectoryPrefix(string path) => FsPath.IsRoot(path) ? "" : ToKey(path) + "/";

    /// <summary>The zero-byte object that keeps an empty directory (the rclone, s3fs and console convention).</summary>
    public string ToDirectoryMarker(string path) => ToKey(path) + "/";

    /// <summary>The name to show for a key segment, or null when no path can name it.</summary>
    public string? ToName(string segment)
    {
        if (segment.Length == 0 || segment is "." or ".." || segment.Contains('\0'))
        {
            return null;
        }

        var name = Encoding.ToName(segment);
        return System.Text.Encoding.UTF8.GetByteCount(name) > MaxNameBytes ? null : name;
    }

    /// <summary>Throws when a name given by a program cannot become a key segment.</summary>
    public void ValidateName(string path)
    {
        var name = FsPath.Name(path);
        if (name is "." or ".." || name.Length == 0)
        {
            throw new FileSystemException(FsError.InvalidName, path, $"'{name}' cannot be a file name.");
        }

        if (System.Text.Encoding.UTF8.GetByteCount(name) > MaxNameBytes)
        {
            throw new FileSystemException(FsError.NameTooLong, path, $"the name is longer than {MaxNameBytes} bytes.");
        }

        if (!backslashInKeys && name.Contains('\\', StringComparison.Ordinal))
        {
            throw new FileSystemException(FsError.InvalidName, path, "this store turns '\\' in names into '/'; choose a name without a backslash.");
        }
    }
}
