using BucketMount.Backends.Local.Unix;
using Microsoft.Win32.SafeHandles;

namespace BucketMount.Backends.Local;

internal enum LocalEntryKind
{
    Missing,
    File,
    Directory,
    Link,
    Other,
}

internal readonly record struct LocalEntry(string Name, LocalEntryKind Kind, long Size = 0, DateTime ModifiedUtc = default);

/// <summary>A path component is a symbolic link (or junction): the local store never goes through one.</summary>
internal sealed class LocalLinkException(string path)
    : IOException($"'{path}' is a symbolic link; the local store never follows links out of its folder. Remove the link.")
{
    public string LinkPath { get; } = path;
}

/// <summary>A component that must be a folder is a file (a key that is both an object and a folder of objects).</summary>
internal sealed class LocalNotAFolderException(string path) : IOException($"'{path}' is a file, not a folder.")
{
    public string FilePath { get; } = path;
}

/// <summary>
/// One folder of the local store, held open: every operation names an entry of this folder, so a path is
/// resolved one component at a time and a link met on the way is refused at the moment of use, not checked
/// once before (a folder swapped for a link while an upload runs cannot redirect it). On Linux this is a
/// directory descriptor used with openat/mkdirat/renameat/unlinkat and O_NOFOLLOW; elsewhere a path checked
/// component by component (<see cref="PathLocalDirectory"/>), which narrows but cannot close that race.
/// </summary>
internal abstract class LocalDirectory : IDisposable
{
    protected LocalDirectory(string path) => FullPath = path;

    /// <summary>The folder's path, for messages only: operations never resolve it again.</summary>
    public string FullPath { get; }

    /// <summary>Opens the store's root (a link in the root's own path is the user's choice and is followed).</summary>
    public static LocalDirectory OpenRoot(string root) =>
        OperatingSystem.IsLinux() ? UnixLocalDirectory.OpenPath(root) : PathLocalDirectory.OpenPath(root);

    /// <summary>
    /// The child folder <paramref name="name"/>; null when it does not exist and <paramref name="create"/> is
    /// false (or a file stands there, when reading). Private folders are created 0700, the others with the
    /// process's umask. Throws <see cref="LocalLinkException"/> for a link, <see cref="LocalNotAFolderException"/>
    /// when creating through a file.
    /// </summary>
    public abstract LocalDirectory? OpenDirectory(string name, bool create, bool isPrivate);

    public abstract LocalEntry Stat(string name);

    /// <summary>Opens a file for reading; null when missing; throws for a link.</summary>
    public abstract SafeFileHandle? OpenRead(string name);

    /// <summary>
    /// Creates a new file (never an existing one, never through a link), 0600 when private, with
    /// <paramref name="preallocate"/> bytes reserved so a disk too small fails at once (IOException, disk full).
    /// </summary>
    public abstract SafeFileHandle CreateNew(string name, bool isPrivate, long preallocate = 0);

    /// <summary>Renames an entry of this folder over <paramref name="targetName"/> in <paramref name="target"/> (a link there is replaced, not followed).</summary>
    public abstract void Rename(string name, LocalDirectory target, string targetName);

    /// <summary>Deletes a file (a link itself, never its target); false when missing.</summary>
    public abstract bool Delete(string name);

    /// <summary>Removes an empty child folder; false when it is not empty, not there, or not a folder.</summary>
    public abstract bool RemoveEmptyDirectory(string name);

    /// <summary>The entries, without "." and ".."; kinds without following links; sizes and times are not filled in.</summary>
    public abstract List<LocalEntry> Enumerate();

    /// <summary>Narrows this folder to 0700 when it is wider; true when it was.</summary>
    public abstract bool MakePrivate();

    public abstract void Dispose();

    /// <summary>Opens the chain of folders below this one, creating them when asked; null when one is missing.</summary>
    public List<LocalDirectory>? OpenChain(IReadOnlyList<string> names, bool create, bool isPrivate)
    {
        var chain = new List<LocalDirectory>(names.Count);
        var current = this;
        try
        {
            foreach (var name in names)
            {
                var next = current.OpenDirectory(name, create, isPrivate);
                if (next is null)
                {
                    DisposeAll(chain);
                    return null;
                }

                chain.Add(next);
                current = next;
            }

            return chain;
        }
        catch
        {
            DisposeAll(chain);
            throw;
        }
    }

    public static void DisposeAll(List<LocalDirectory>? chain)
    {
        if (chain is null)
        {
            return;
        }

        foreach (var directory in chain)
        {
            directory.Dispose();
        }
    }

    protected string ChildPath(string name) => FullPath.EndsWith('/') || FullPath.EndsWith('\\') ? FullPath + name : FullPath + "/" + name;
}
