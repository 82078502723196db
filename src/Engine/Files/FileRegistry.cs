using BucketMount.Engine.Namespace;

namespace BucketMount.Engine.Files;

/// <summary>
/// The files that are open, dirty or uploading, by path. Its lock is first in the lock order and held only for
/// dictionary work, never across I/O. Files not in here are plain store objects.
/// </summary>
internal sealed class FileRegistry
{
    private readonly object _gate = new();
    private readonly Dictionary<string, OpenFile> _byPath = new(StringComparer.Ordinal);
    private long _nextId = DateTime.UtcNow.Ticks;

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
                _byPath[path] = file;
            }

            return file;
        }
    }

    public void Add(OpenFile file)
    {
        lock (_gate)
        {
            _byPath[file.Path] = file;
        }
    }

    /// <summary>Removes a file if it is still registered under its path.</summary>
    public void Remove(OpenFile file)
    {
        lock (_gate)
        {
            if (_byPath.TryGetValue(file.Path, out var current) && current == file)
            {
                _byPath.Remove(file.Path);
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
                _byPath.Remove(file.Path);
            }

            return true;
        }
    }

    /// <summary>Moves a file, or every file below a directory, to a new path. Returns the files moved.</summary>
    public List<OpenFile> Move(string from, string to)
    {
        lock (_gate)
        {
            var moved = _byPath.Values.Where(f => FsPath.IsSelfOrBelow(f.Path, from)).ToList();
            foreach (var file in moved)
            {
                _byPath.Remove(file.Path);
            }

            foreach (var file in moved)
            {
                file.Path = FsPath.Rebase(file.Path, from, to);
                _byPath[file.Path] = file;
            }

            return moved;
        }
    }

    /// <summary>Files directly in <paramref name="directory"/>.</summary>
    public List<OpenFile> ChildrenOf(string directory)
    {
        lock (_gate)
        {
            return _byPath.Values.Where(f => FsPath.Parent(f.Path) == directory).ToList();
        }
    }

    /// <summary>Files anywhere below <paramref name="directory"/>.</summary>
    public List<OpenFile> Below(string directory)
    {
        lock (_gate)
        {
            return _byPath.Values.Where(f => f.Path != directory && FsPath.IsSelfOrBelow(f.Path, directory)).ToList();
        }
    }

    public List<OpenFile> All()
    {
        lock (_gate)
        {
            return [.. _byPath.Values];
        }
    }
}
