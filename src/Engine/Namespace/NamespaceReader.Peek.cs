using System.Runtime.CompilerServices;
using BucketMount.Backends;

namespace BucketMount.Engine.Namespace;

internal sealed partial class NamespaceReader
{
    /// <summary>
    /// Entries of a directory a lookup keeps from the LIST that told it is a directory: one S3 page. `ls -l dir` looks
    /// the directory up and then lists it; the listing starts after these instead of asking for that page again.
    /// </summary>
    public const int PeekEntries = 1000;

    /// <summary>How long a lookup's first page may serve as the start of a listing (the kernel lists right after).</summary>
    private static readonly TimeSpan PeekLifetime = TimeSpan.FromSeconds(5);

    private const int MaxPeeks = 64;

    private readonly Dictionary<string, Peek> _peeks = new(StringComparer.Ordinal);

    /// <summary>
    /// The first page under <paramref name="prefix"/> (starting with the directory's marker when it has one: nothing below
    /// "dir/" sorts before it), null when nothing is there; keeps it for a listing to follow.
    /// </summary>
    private async Task<List<ListEntry>?> PeekDirectoryAsync(string path, string prefix, CancellationToken cancellationToken)
    {
        var stamp = cache.Stamp();
        var entries = new List<ListEntry>();
        var complete = true;
        await foreach (var entry in store.ListAsync(prefix, "/", cancellationToken).ConfigureAwait(false))
        {
            entries.Add(entry);
            if (entries.Count == PeekEntries)
            {
                complete = false;
                break;
            }
        }

        if (entries.Count > 0 && cache.Caches && cache.Stamp() == stamp)
        {
            lock (_peeks)
            {
                if (_peeks.Count >= MaxPeeks)
                {
                    _peeks.Clear();
                }

                _peeks[path] = new Peek(stamp, entries, complete, Environment.TickCount64);
            }
        }

        return entries.Count > 0 ? entries : null;
    }

    /// <summary>The entries a recent lookup kept for <paramref name="directory"/>, once.</summary>
    private Peek? TakePeek(string directory)
    {
        lock (_peeks)
        {
            if (!_peeks.Remove(directory, out var peek))
            {
                return null;
            }

            // Any change the mount made since could be missing from it: then it is not used.
            return Environment.TickCount64 - peek.AtMs <= (long)PeekLifetime.TotalMilliseconds && cache.Stamp() == peek.Stamp ? peek : null;
        }
    }

    /// <summary>A directory's listing: the kept first page, then the store's listing from after it.</summary>
    private async IAsyncEnumerable<ListEntry> EntriesAsync(string prefix, Peek? peek, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? startAfter = null;
        if (peek is not null)
        {
            foreach (var entry in peek.Entries)
            {
                yield return entry;
            }

            if (peek.Complete)
            {
                yield break;
            }

            startAfter = peek.Entries[^1].Key;
        }

        await foreach (var entry in store.ListAsync(prefix, "/", startAfter, cancellationToken).ConfigureAwait(false))
        {
            yield return entry;
        }
    }

    private sealed record Peek(long Stamp, List<ListEntry> Entries, bool Complete, long AtMs);
}
