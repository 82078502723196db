using System.Runtime.CompilerServices;

namespace BucketMount.Backends.Internal;

/// <summary>Helpers over listings (which come in ordinal UTF-8 key order).</summary>
public static class Listings
{
    /// <summary>The entries of <paramref name="listing"/> after <paramref name="startAfter"/>.</summary>
    public static async IAsyncEnumerable<ListEntry> After(IAsyncEnumerable<ListEntry> listing, string startAfter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var entry in listing.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (KeyOrder.Instance.Compare(entry.Key, startAfter) > 0)
            {
                yield return entry;
            }
        }
    }
}
