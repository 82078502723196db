namespace BucketMount.Engine.Tests;

/// <summary>
/// One file's content in the model, shared by every path and handle that reaches it (an inode): a rename moves it,
/// an unlink or a rename over it leaves it to the handles that still have it open.
/// </summary>
internal sealed class ModelNode
{
    public byte[] Data { get; set; } = [];

    /// <summary>The content at the last close (of any handle) or fsync: what a crash must bring back; null when never.</summary>
    public byte[]? Durable { get; set; }

    /// <summary>Permission bits set by chmod; null when the model does not know them (written by someone else).</summary>
    public int? Mode { get; set; }

    public int OpenHandles { get; set; }

    public void MarkDurable() => Durable = (byte[])Data.Clone();

    public bool HasUnsyncedChanges => Durable is null || !Durable.AsSpan().SequenceEqual(Data);
}

/// <summary>The plain in-memory file system the engine is compared with: paths to nodes, symlinks, and directories.</summary>
internal sealed class ReferenceModel
{
    public SortedDictionary<string, ModelNode> Files { get; } = new(StringComparer.Ordinal);

    public SortedDictionary<string, string> Symlinks { get; } = new(StringComparer.Ordinal);

    public SortedSet<string> Directories { get; } = new(StringComparer.Ordinal) { "/" };

    public static string Parent(string path) => path.LastIndexOf('/') <= 0 ? "/" : path[..path.LastIndexOf('/')];

    public static string Name(string path) => path[(path.LastIndexOf('/') + 1)..];

    public static string Combine(string dir, string name) => dir == "/" ? "/" + name : dir + "/" + name;

    public bool Exists(string path) => Files.ContainsKey(path) || Directories.Contains(path) || Symlinks.ContainsKey(path);

    public bool IsEntry(string path) => Files.ContainsKey(path) || Symlinks.ContainsKey(path);

    public IEnumerable<string> ChildrenOf(string dir) =>
        Files.Keys.Concat(Symlinks.Keys).Concat(Directories).Where(p => p != "/" && Parent(p) == dir).Order(StringComparer.Ordinal);

    public static bool IsBelow(string path, string dir) => path.StartsWith(dir + "/", StringComparison.Ordinal);

    public static void Write(ModelNode node, long offset, ReadOnlySpan<byte> data)
    {
        var current = node.Data;
        var end = Math.Max(current.Length, offset + data.Length);
        if (end > current.Length)
        {
            Array.Resize(ref current, (int)end);
        }

        data.CopyTo(current.AsSpan((int)offset));
        node.Data = current;
    }

    public static void Truncate(ModelNode node, long length)
    {
        var current = node.Data;
        Array.Resize(ref current, (int)length);
        node.Data = current;
    }

    /// <summary>A file or symlink renamed onto <paramref name="to"/>; what stood there is gone from the namespace.</summary>
    public void RenameEntry(string from, string to)
    {
        Files.Remove(to);
        Symlinks.Remove(to);
        if (Files.Remove(from, out var node))
        {
            Files[to] = node;
        }
        else if (Symlinks.Remove(from, out var target))
        {
            Symlinks[to] = target;
        }
    }

    public void RenameDirectory(string from, string to)
    {
        foreach (var file in Files.Keys.Where(p => IsBelow(p, from)).ToList())
        {
            Files.Remove(file, out var node);
            Files[to + file[from.Length..]] = node!;
        }

        foreach (var link in Symlinks.Keys.Where(p => IsBelow(p, from)).ToList())
        {
            Symlinks.Remove(link, out var target);
            Symlinks[to + link[from.Length..]] = target!;
        }

        foreach (var dir in Directories.Where(p => p == from || IsBelow(p, from)).ToList())
        {
            Directories.Remove(dir);
            Directories.Add(to + dir[from.Length..]);
        }
    }
}
