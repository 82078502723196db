using BucketMount.Engine.Namespace;

namespace BucketMount.Engine.Files;

/// <summary>
/// The files that are open, dirty or uploading, by path. Its lock is first in the lock order and held only for
/// dictionary work, never across I/O. Files not in here are plain store objects. Indexed by parent directory and
/// in path order too, so a listing or a delete looks at the files of its own directory (subtree), not at every
/// file the mount is writing: an `rm -rf` or an untar behind slow uploads stays linear.
/// </summary>
internal sealed class FileRegistry
{
    private readonly object _gate = new();
    private readonly Dictionary<string, OpenFile> _byPath = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, OpenFile>> _byParent = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _ordered = new(StringComparer.Ordinal);
    private long _nextId = DateTime.UtcNow.Ticks;
    private long _examined;

    /// <summary>Registered files the directory queries have looked at so far (tests count it).</summary>
    public long Examined => Interlocked.Read(ref _examined);

    public long NextId() => Interlocked.Increment(ref _nextId);

    /// <summary>Ids of recovered files must never be reused.</summary>
    public void ReserveIdsUpTo(long id)
    {
        lock (_gate)
        {
            _nextId = Math.Max(_nextId, id);
        }
    }

    public OpenFile? Find(string path)
    {
        lock (_gate)
        {
            return _byPath.GetValueOrDefault(path);
        }
    }

    /// <summary>The registered file at <paramref name="path"/>, or the one <paramref name="create"/> makes.</summary>
    public OpenFile GetOrAdd(string path, Func<OpenFile> create)
    {
        lock (_gate)
        {
            if (!_byPath.TryGetValue(path, out var file))
            {
                file = create();
                Put(path, file);
            }

            return file;
        }
    }

    public void Add(OpenFile file)
    {
        lock (_gate)
        {
            Put(file.Path, file);
        }
    }

    /// <summary>Removes a file if it is still registered under its path.</summary>
    public void Remove(OpenFile file)
    {
        lock (_gate)
        {
            if (_byPath.TryGetValue(file.Path, out var current) && current == file)
            {
                Take(file.Path);
            }
        }
    }

    /// <summary>
    /// Removes a file (if still registered under its path) when <paramref name="leave"/> agrees, both at once:
    /// nobody can find the file between <paramref name="leave"/> marking it released and its removal.
    /// </summary>
    public bool RemoveIf(OpenFile file, Func<OpenFile, bool> leave)
    {
        lock (_gate)
        {
            if (!leave(file))
            {
                return false;
            }

            if (_byPath.TryGetValue(file.Path, out var current) && current == file)
            {
                Take(file.Path);
            }

            return true;
        }
    }

    /// <summary>Moves a file, or every file below a directory, to a new path. Returns the files moved.</summary>
    public List<OpenFile> Move(string from, string to)
    {
        lock (_gate)
        {
            var moved = SelfAndBelow(from).ToList();
            foreach (var file in moved)
            {
                Take(file.Path);
            }

            foreach (var file in moved)
            {
                file.Path = FsPath.Rebase(file.Path, from, to);
                Put(file.Path, file);
            }

            return moved;
        }
    }

    /// <summary>Files directly in <paramref name="directory"/>.</summary>
    public List<OpenFile> ChildrenOf(string directory)
    {
        lock (_gate)
        {
            if (!_byParent.TryGetValue(directory, out var children))
            {
                return [];
            }

            Interlocked.Add(ref _examined, children.Count);
            return [.. children.Values];
        }
    }

    /// <summary>Files anywhere below <paramref name="directory"/>.</summary>
    public List<OpenFile> Below(string directory)
    {
        lock (_gate)
        {
            return SelfAndBelow(directory).Where(f => f.Path != directory).ToList();
        }
    }

    public List<OpenFile> All()
    {
        lock (_gate)
        {
            return [.. _byPath.Values];
        }
    }

    /// <summary>The file at <paramref name="path"/> and those below it, from the ordered set: only that subtree is looked at.</summary>
    private IEnumerable<OpenFile> SelfAndBelow(string path)
    {
        var found = new List<OpenFile>();
        if (_byPath.TryGetValue(path, out var self))
        {
            found.Add(self);
        }

        // Every path below "dir" sorts from "dir/" up to "dir0" ('0' follows '/'), in ordinal order.
        var below = FsPath.IsRoot(path) ? _ordered : _ordered.GetViewBetween(path + "/", path + "0");
        foreach (var key in below)
        {
            if (key.StartsWith(FsPath.IsRoot(path) ? "/" : path + "/", StringComparison.Ordinal) && key != path)
            {
                found.Add(_byPath[key]);
            }
        }

        Interlocked.Add(ref _examined, found.Count);
        return found;
    }

    private void Put(string path, OpenFile file)
    {
        Take(path);
        _byPath[path] = file;
        _ordered.Add(path);
        var parent = FsPath.Parent(path);
        if (!_byParent.TryGetValue(parent, out var children))
        {
            _byParent[parent] = children = new Dictionary<string, OpenFile>(StringComparer.Ordinal);
        }

        children[path] = file;
    }

    private void Take(string path)
    {
        if (!_byPath.Remove(path))
        {
            return;
        }

        _ordered.Remove(path);
        var parent = FsPath.Parent(path);
        if (_byParent.TryGetValue(parent, out var children))
        {
            children.Remove(path);
            if (children.Count == 0)
            {
                _byParent.Remove(parent);
            }
        }
    }
}
