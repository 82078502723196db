using System.Collections.Concurrent;

namespace BucketMount.Engine.Namespace;

/// <summary>
/// Runs one operation per key at a time and lets concurrent callers for the same key share its result, so a burst
/// of lookups in one directory sends one LIST, not one per caller. The first caller's work (and its cancellation)
/// is what everyone waits on; the entry is gone once it completes, so a later call runs afresh.
/// </summary>
internal sealed class InFlight<TKey, TResult>(IEqualityComparer<TKey> comparer)
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Lazy<Task<TResult>>> _running = new(comparer);

    public async Task<TResult> RunAsync(TKey key, Func<Task<TResult>> operation)
    {
        var entry = _running.GetOrAdd(key, _ => new Lazy<Task<TResult>>(operation));
        try
        {
            return await entry.Value.ConfigureAwait(false);
        }
        finally
        {
            _running.TryRemove(new KeyValuePair<TKey, Lazy<Task<TResult>>>(key, entry));
        }
    }
}
