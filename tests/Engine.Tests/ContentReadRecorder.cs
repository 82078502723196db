using System.Collections.Concurrent;
using BucketMount.Backends;
using BucketMount.Backends.Decorators;
using BucketMount.Engine.Namespace.Index;

namespace BucketMount.Engine.Tests;

/// <summary>
/// Records the key of every request that reads a file's content (GETs, whole or ranged, and the small GETs a lookup
/// may send), leaving out the directories' metadata indexes, which are not file content.
/// </summary>
internal sealed class ContentReadRecorder(IObjectStore inner) : ObjectStoreDecorator(inner)
{
    private readonly ConcurrentQueue<string> _reads = new();

    public int Count => _reads.Count;

    /// <summary>When set, each recorded read is also appended here (under its lock), beside a test's own events.</summary>
    public List<string>? Events { get; set; }

    public IReadOnlyList<string> Keys => [.. _reads];

    /// <summary>The keys read since <paramref name="before"/> reads had been recorded.</summary>
    public IReadOnlyList<string> Since(int before) => [.. _reads.Skip(before)];

    public override Task<SmallObject?> GetSmallAsync(string key, int maxBytes, CancellationToken cancellationToken)
    {
        Record(key);
        return base.GetSmallAsync(key, maxBytes, cancellationToken);
    }

    public override Task<int> ReadAsync(string key, long offset, Memory<byte> buffer, ReadOptions? options, CancellationToken cancellationToken)
    {
        Record(key);
        return base.ReadAsync(key, offset, buffer, options, cancellationToken);
    }

    public override Task<long> ReadToAsync(string key, long offset, long? length, Stream destination, ReadOptions? options, CancellationToken cancellationToken)
    {
        Record(key);
        return base.ReadToAsync(key, offset, length, destination, options, cancellationToken);
    }

    private void Record(string key)
    {
        if (!key.EndsWith(DirectoryIndexFormat.ReservedName, StringComparison.Ordinal))
        {
            _reads.Enqueue(key);
            if (Events is { } events)
            {
                lock (events)
                {
                    events.Add("GET " + key);
                }
            }
        }
    }
}
