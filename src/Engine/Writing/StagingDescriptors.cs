using Microsoft.Win32.SafeHandles;

namespace BucketMount.Engine.Writing;

/// <summary>
/// Bounds how many staging files hold an open descriptor at once. A program (a build, an untar, a test suite)
/// may keep thousands of files of the mount open; one descriptor each ran the mount out of them (EMFILE) under the
/// usual limits, after which it could neither write, upload nor answer `status`. A staging file takes a descriptor
/// for each read or write (a lease); when it is idle it keeps it, until more than <c>capacity</c> are open: then
/// the least recently used idle one is closed and reopened by path the next time it is needed. A file unlinked
/// while open has no path to reopen it by, and keeps its descriptor. When every descriptor is in use the limit is
/// passed rather than waited for (leases are short: one read, one write, one part of an upload).
/// </summary>
internal sealed class StagingDescriptors(int capacity)
{
    /// <summary>How many staging files may hold a descriptor by default.</summary>
    public const int DefaultCapacity = 256;

    /// <summary>For staging files made without an engine (tests, tools).</summary>
    public static StagingDescriptors Shared { get; } = new(DefaultCapacity);

    private readonly object _gate = new();

    // Open descriptors nobody is using, least recently used first. Guarded by _gate, with each Slot.
    private readonly LinkedList<Slot> _idle = new();
    private int _open;

    /// <summary>Descriptors held open now (tests assert the bound).</summary>
    public int Open
    {
        get
        {
            lock (_gate)
            {
                return _open;
            }
        }
    }

    /// <summary>The most descriptors held open at once so far.</summary>
    public int Peak { get; private set; }

    /// <summary>The descriptor state of one staging file; every field is guarded by the pool's lock.</summary>
    internal sealed class Slot(string path)
    {
        public string Path { get; } = path;

        public SafeFileHandle? Handle { get; set; }

        public int Users { get; set; }

        /// <summary>Never closed while the file lives: it has no name to reopen it by.</summary>
        public bool Pinned { get; set; }

        public bool Closed { get; set; }

        public LinkedListNode<Slot>? IdleNode { get; set; }
    }

    public Slot NewSlot(string path) => new(path);

    /// <summary>Registers a descriptor the staging file just opened itself (by creating its file), leased to the caller.</summary>
    public void Adopt(Slot slot, SafeFileHandle handle)
    {
        List<SafeFileHandle> evicted;
        lock (_gate)
        {
            slot.Handle = handle;
            slot.Users++;
            _open++;
            Peak = Math.Max(Peak, _open);
            evicted = EvictBeyondCapacity();
        }

        CloseAll(evicted);
    }

    /// <summary>The file's descriptor, opened again if it was closed; give it back with <see cref="Return"/>.</summary>
    public SafeFileHandle Lease(Slot slot)
    {
        List<SafeFileHandle> evicted;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(slot.Closed, slot);
            if (slot.Handle is { } open)
            {
                slot.Users++;
                RemoveIdle(slot);
                return open;
            }

            // Counted before it is opened, so racing openers make room for each other.
            _open++;
            evicted = EvictBeyondCapacity();
        }

        CloseAll(evicted);
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(slot.Path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
        }
        catch
        {
            lock (_gate)
            {
                _open--;
            }

            throw;
        }

        SafeFileHandle? surplus = null;
        SafeFileHandle? leased = null;
        lock (_gate)
        {
            if (slot.Closed || slot.Handle is not null)
            {
                // Closed meanwhile (deleted), or another lease opened it first.
                surplus = handle;
                _open--;
            }
            else
            {
                slot.Handle = handle;
                Peak = Math.Max(Peak, _open);
            }

            if (!slot.Closed)
            {
                slot.Users++;
                RemoveIdle(slot);
                leased = slot.Handle;
            }
        }

        surplus?.Dispose();
        return leased ?? throw new ObjectDisposedException(slot.Path);
    }

    public void Return(Slot slot)
    {
        SafeFileHandle? close = null;
        List<SafeFileHandle> evicted;
        lock (_gate)
        {
            slot.Users--;
            if (slot.Users == 0)
            {
                if (slot.Closed)
                {
                    close = Take(slot);
                }
                else if (!slot.Pinned && slot.Handle is not null)
                {
                    slot.IdleNode = _idle.AddLast(slot);
                }
            }

            evicted = EvictBeyondCapacity();
        }

        close?.Dispose();
        CloseAll(evicted);
    }

    /// <summary>Keeps the file's descriptor open for good (its name is about to go); the caller holds a lease.</summary>
    public void Pin(Slot slot)
    {
        lock (_gate)
        {
            slot.Pinned = true;
            RemoveIdle(slot);
        }
    }

    /// <summary>The staging file is done: its descriptor closes now, or when its last lease returns.</summary>
    public void Close(Slot slot)
    {
        SafeFileHandle? close = null;
        lock (_gate)
        {
            slot.Closed = true;
            if (slot.Users == 0)
            {
                close = Take(slot);
            }
        }

        close?.Dispose();
    }

    private SafeFileHandle? Take(Slot slot)
    {
        RemoveIdle(slot);
        var handle = slot.Handle;
        if (handle is not null)
        {
            slot.Handle = null;
            _open--;
        }

        return handle;
    }

    private void RemoveIdle(Slot slot)
    {
        if (slot.IdleNode is { } node)
        {
            _idle.Remove(node);
            slot.IdleNode = null;
        }
    }

    /// <summary>Caller holds the lock; the descriptors returned are closed after it is let go.</summary>
    private List<SafeFileHandle> EvictBeyondCapacity()
    {
        var evicted = new List<SafeFileHandle>();
        while (_open > capacity && _idle.First is { } oldest)
        {
            evicted.Add(Take(oldest.Value)!);
        }

        return evicted;
    }

    private static void CloseAll(List<SafeFileHandle> handles)
    {
        foreach (var handle in handles)
        {
            handle.Dispose();
        }
    }
}
