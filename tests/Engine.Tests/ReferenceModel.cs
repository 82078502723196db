namespace BucketMount.Engine.Tests;

/// <summary>The plain in-memory file system the engine is compared with: paths to bytes, and a set of directories.</summary>
internal sealed class ReferenceModel
{
    public SortedDictionary<string, byte[]> Files { get; } = new(StringComparer.Ordinal);

    public SortedSet<string> Directories { get; } = new(StringComparer.Ordinal) { "/" };

    public static string Parent(string path) => path.LastIndexOf('/') <= 0 ? "/" : path[..path.LastIndexOf('/')];

    public static string Combine(string dir, string name) => dir == "/" ? "/" + name : dir + "/" + name;

    public bool Exists(string path) => Files.ContainsKey(path) || Directories.Contains(path);

    public IEnumerable<string> ChildrenOf(string dir) =>
        Files.Keys.Concat(Directories).Where(p => p != "/" && Parent(p) == dir).Order(StringComparer.Ordinal);

    public bool IsBelow(string path, string dir) => path.StartsWith(dir + "/", StringComparison.Ordinal);

    public void Write(string path, long offset, byte[] data)
    {
        var current = Files[path];
        var end = Math.Max(current.Length, offset + data.Length);
        if (end > current.Length)
        {
            Array.Resize(ref current, (int)end);
        }

        data.CopyTo(current, offset);
        Files[path] = current;
    }

    public void Truncate(string path, long length)
    {
        var current = Files[path];
        Array.Resize(ref current, (int)length);
        Files[path] = current;
    }

    public void RenameFile(string from, string to)
    {
        Files[to] = Files[from];
        Files.Remove(from);
    }

    public void RenameDirectory(string from, string to)
    {
        foreach (var file in Files.Keys.Where(p => IsBelow(p, from)).ToList())
        {
            Files[to + file[from.Length..]] = Files[file];
            Files.Remove(file);
        }

        foreach (var dir in Directories.Where(p => p == from || IsBelow(p, from)).ToList())
        {
            Directories.Remove(dir);
            Directories.Add(to + dir[from.Length..]);
        }
    }
}
