namespace BucketMount.Engine;

/// <summary>Where a change that is not in the store yet stands.</summary>
public enum PendingState
{
    /// <summary>Closed and in the journal, waiting for (or in) its upload.</summary>
    Closed,

    /// <summary>Closed by its writer and in the journal, but still open elsewhere: it is uploaded at the last close.</summary>
    HeldOpen,

    /// <summary>Written and not closed by its program: unfinished, only in the staging file, not in the journal.</summary>
    BeingWritten,
}

/// <summary>A change not in the store yet.</summary>
public sealed record PendingChange(string Path, long Size, PendingState State);

public sealed partial class MountEngine
{
    /// <summary>Every change that is not in the store yet, for unmount to wait on and to name.</summary>
    public IReadOnlyList<PendingChange> PendingChanges()
    {
        var pending = new List<PendingChange>();
        foreach (var file in _registry.All())
        {
            lock (file.State)
            {
                if (!file.Dirty || file.Deleted)
                {
                    continue;
                }

                var state = file.Handles == 0 ? PendingState.Closed
                    : file.JournaledGeneration == file.Generation ? PendingState.HeldOpen
                    : PendingState.BeingWritten;
                pending.Add(new PendingChange(file.Path, file.Size, state));
            }
        }

        return pending;
    }

    /// <summary>The file the engine keeps local state for at <paramref name="path"/> (tests).</summary>
    internal Files.OpenFile? RegisteredFile(string path) => _registry.Find(path);

    /// <summary>How many files the engine keeps local state for (tests: none once all is uploaded and closed).</summary>
    /// <summary>Registered files that listings, lookups of directories and deletes have looked at (tests).</summary>
    internal long RegistryExamined => _registry.Examined;

    internal IReadOnlyList<string> RegisteredPaths => _registry.All().Select(f => f.Path).ToList();

    /// <summary>The state of a registered file, for a test's failure message.</summary>
    internal string DescribeRegistered(string path)
    {
        if (_registry.Find(path) is not { } file)
        {
            return "not registered";
        }

        lock (file.State)
        {
            return $"dirty {file.Dirty}, handles {file.Handles}, upload {(file.Upload is null ? "none" : "yes")}, remote {file.Remote?.ETag ?? "none"}, " +
                $"released {file.Released}, deleted {file.Deleted}, lock {file.ContentLock.CurrentCount}, generation {file.Generation}/{file.JournaledGeneration}, retry {file.RetryPending}";
        }
    }
}
