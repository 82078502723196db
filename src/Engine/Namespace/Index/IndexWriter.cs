using BucketMount.Backends;
using Microsoft.Extensions.Logging;

namespace BucketMount.Engine.Namespace.Index;

/// <summary>
/// Writes directories' index objects back, batched: a directory is written once its changes have settled (no change
/// for <see cref="Settle"/> and the write-back delay), and every pending one at drain and unmount. Each write lists the
/// directory first, so every entry written carries the version the listing shows (S3 PUT answers carry no
/// last-modified time), merges what the stored index holds (another mount's entries) when still valid, and replaces
/// the index only if it is still the one read (If-Match where the store honours it; elsewhere the last writer wins,
/// which only costs HEADs, as every entry is checked against the listing before use). Never on a read-only mount.
/// </summary>
/// <param name="settle">How long a directory's last change must be past before its index is written: the index must
/// be written in a later second than every version it describes (see <see cref="StoredIndex.ValidFor"/>), or a new
/// mount does not use those entries (<see cref="EngineOptions.IndexSettle"/>).</param>
internal sealed class IndexWriter(IObjectStore store, DirectoryIndexes indexes, TimeSpan writeBackDelay, TimeSpan settle, ILogger logger) : IDisposable
{
    private const int Attempts = 3;
    private const int Parallelism = 4;

    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _flushing = new(1, 1);
    private Task? _loop;

    public void Start()
    {
        if (!indexes.ReadOnly)
        {
            _loop = Task.Run(() => RunAsync(_stopping.Token));
        }
    }

    /// <summary>Writes every directory with changes, waiting for recent changes to settle first (drain, unmount).</summary>
    public async Task FlushAllAsync(CancellationToken cancellationToken)
    {
        // Taken before looking for changes: a background write under way has already taken its directories off the
        // changed list, and unmount stops the background writer right after this, which would cut that write off.
        await _flushing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Bounded: a few rounds (changes made meanwhile, an index another mount replaced), and waits no longer than
            // the settle time each; what is still pending after that only costs the next mount HEADs.
            for (var round = 0; round < 5 && !indexes.ReadOnly && indexes.AnyDirty(); round++)
            {
                var ready = indexes.DirtyDirectories(settle);
                for (var wait = 0; ready.Count == 0 && wait < (settle.TotalMilliseconds / 100) + 1; wait++)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
                    ready = indexes.DirtyDirectories(settle);
                }

                await FlushHoldingAsync(ready, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _flushing.Release();
        }
    }

    /// <summary>Stops the background writes (after the last <see cref="FlushAllAsync"/> at unmount).</summary>
    public async Task StopAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is { } loop)
        {
            await loop.ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
        _flushing.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var rest = writeBackDelay > settle ? writeBackDelay : settle;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var ready = indexes.DirtyDirectories(rest);
                try
                {
                    if (ready.Count > 0)
                    {
                        await FlushAsync(ready, cancellationToken).ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // An index is a cache: a failure to write it must never stop the mount (it costs HEADs later).
                    logger.LogWarning("Writing metadata indexes failed ({Reason}); they will be tried again.", e.Message);
                    ready.ForEach(indexes.FlushFailed);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task FlushAsync(List<string> prefixes, CancellationToken cancellationToken)
    {
        // One flush at a time: the background loop and a drain must not write the same index twice over each other.
        await _flushing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await FlushHoldingAsync(prefixes, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _flushing.Release();
        }
    }

    /// <summary>Writes the indexes of <paramref name="prefixes"/>; the caller holds <see cref="_flushing"/>.</summary>
    private async Task FlushHoldingAsync(List<string> prefixes, CancellationToken cancellationToken)
    {
        await Parallel.ForEachAsync(prefixes, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (prefix, ct) =>
            {
                try
                {
                    await FlushDirectoryAsync(prefix, ct).ConfigureAwait(false);
                }
                catch (ObjectStoreException e)
                {
                    indexes.FlushFailed(prefix);
                    logger.LogWarning("Could not write the metadata index of '{Directory}' ({Reason}); it will be tried again. Until then a new mount asks the store for those files' attributes.",
                        prefix.Length == 0 ? "/" : prefix, e.Message);
                }
            }).ConfigureAwait(false);
    }

    /// <summary>Lists the directory and writes its index if that changes what is stored; true when written or nothing to write.</summary>
    internal async Task FlushDirectoryAsync(string prefix, CancellationToken cancellationToken)
    {
        using var writing = await indexes.BeginFlushWriteAsync(prefix, cancellationToken).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            var (stored, learnt, sequence) = indexes.BeginFlush(prefix);
            var listing = await DirectoryIndexListing.ReadAsync(store, prefix, cancellationToken).ConfigureAwait(false);
            if (listing.Index is { } indexObject && (stored is null || stored.ETag != indexObject.ETag))
            {
                stored = await indexes.FetchAsync(indexObject, cancellationToken).ConfigureAwait(false);
            }
            else if (listing.Index is null)
            {
                // Deleted ahead of a change of ours (or never written): what it held is merged, validated, all the same.
                stored = indexes.Retained(prefix) is { } retained ? new StoredIndex("", null, retained, Foreign: false) : null;
            }

            if (stored?.Foreign == true)
            {
                logger.LogWarning("'{Key}' is not a metadata index this version wrote; it is left alone, and that directory's listings ask the store for attributes.",
                    listing.Index!.Key);
                indexes.EndFlush(prefix, null, sequence);
                return;
            }

            var entries = Merge(listing, stored, learnt);
            if (listing.IsEmpty || (listing.Index is not null && SameEntries(entries, stored?.Entries)))
            {
                // Nothing to describe (an empty or removed directory gets no index: writing one would bring it back).
                indexes.EndFlush(prefix, null, sequence);
                return;
            }

            var conditional = store.Capabilities.ConditionalWrites;
            try
            {
                var written = await store.PutAsync(DirectoryIndexFormat.KeyOf(prefix), new MemoryStream(DirectoryIndexFormat.Serialize(entries)), new PutOptions
                {
                    ContentType = "application/gzip",
                    IfMatch = conditional ? listing.Index?.ETag : null,
                    IfNoneMatch = conditional && listing.Index is null,
                }, cancellationToken).ConfigureAwait(false);
                indexes.EndFlush(prefix, new StoredIndex(written.ETag, null, entries, Foreign: false), sequence);
                return;
            }
            catch (ObjectStoreException e) when (e.Kind == ObjectStoreErrorKind.PreconditionFailed && attempt < Attempts)
            {
                // Another mount wrote it meanwhile: list again and merge its entries.
                indexes.FlushFailed(prefix);
            }
        }
    }

    /// <summary>
    /// The entries to store: for each listed child, what this mount learnt of that very version (taking the listing's
    /// size and last-modified time where it did not know them), else the stored entry when it still describes it.
    /// </summary>
    internal static Dictionary<string, IndexEntry> Merge(DirectoryIndexListing listing, StoredIndex? stored,
        IReadOnlyDictionary<string, (IndexEntry Entry, long Sequence)> learnt)
    {
        var entries = new Dictionary<string, IndexEntry>(StringComparer.Ordinal);
        foreach (var (segment, info) in listing.Files)
        {
            var seconds = IndexEntry.Seconds(info.LastModified);
            IndexEntry? old = stored is not null && stored.Entries.TryGetValue(segment, out var s) && !s.IsDirectory && s.Describes(info.ETag, info.Size, info.LastModified) ? s : null;
            if (learnt.TryGetValue(segment, out var mine) && !mine.Entry.IsDirectory && mine.Entry.ETag == info.ETag
                && (mine.Entry.Size ?? info.Size) == info.Size && (mine.Entry.LastModifiedSeconds ?? seconds) == seconds)
            {
                entries[segment] = mine.Entry with { Size = info.Size, LastModifiedSeconds = seconds, LinkTarget = mine.Entry.LinkTarget ?? old?.LinkTarget };
            }
            else if (old is not null)
            {
                entries[segment] = old;
            }
        }

        if (listing.Marker is { } marker && SelfEntry(marker, stored, learnt) is { } self)
        {
            entries[DirectoryIndexes.SelfSegment] = self;
        }

        foreach (var segment in listing.Directories)
        {
            if (learnt.TryGetValue(segment, out var mine) && mine.Entry.IsDirectory)
            {
                entries[segment] = mine.Entry;
            }
            else if (stored?.DirectoryEntry(segment) is { } old)
            {
                entries[segment] = old;
            }
        }

        return entries;
    }

    /// <summary>The directory's own entry: its marker as this mount last wrote it, else as the stored index holds it, for the listed version only.</summary>
    private static IndexEntry? SelfEntry(ObjectInfo marker, StoredIndex? stored,
        IReadOnlyDictionary<string, (IndexEntry Entry, long Sequence)> learnt)
    {
        var seconds = IndexEntry.Seconds(marker.LastModified);
        if (learnt.TryGetValue(DirectoryIndexes.SelfSegment, out var mine) && mine.Entry.ETag == marker.ETag
            && (mine.Entry.Size ?? marker.Size) == marker.Size && (mine.Entry.LastModifiedSeconds ?? seconds) == seconds)
        {
            return mine.Entry with { Size = marker.Size, LastModifiedSeconds = seconds };
        }

        return stored is not null && stored.Entries.TryGetValue(DirectoryIndexes.SelfSegment, out var old) && old.Describes(marker.ETag, marker.Size, marker.LastModified)
            ? old
            : null;
    }

    private static bool SameEntries(Dictionary<string, IndexEntry> entries, IReadOnlyDictionary<string, IndexEntry>? stored) =>
        stored is not null && stored.Count == entries.Count && entries.All(e => stored.TryGetValue(e.Key, out var old) && SameEntry(old, e.Value));

    private static bool SameEntry(IndexEntry a, IndexEntry b) =>
        a.IsDirectory == b.IsDirectory && a.ETag == b.ETag && a.Size == b.Size && a.LastModifiedSeconds == b.LastModifiedSeconds
        && a.Metadata.Count == b.Metadata.Count && a.Metadata.All(m => b.Metadata.TryGetValue(m.Key, out var v) && v == m.Value)
        && (a.LinkTarget ?? []).AsSpan().SequenceEqual(b.LinkTarget ?? []);
}
