namespace BucketMount.Backends.Internal;

/// <summary>
/// Turns objects in key order into a listing the way S3 does it: keys that start with the prefix, with everything
/// past the first delimiter after the prefix folded into one common prefix. For stores that list by enumeration.
/// </summary>
public static class ListingGrouper
{
    public static IEnumerable<ListEntry> Group(IEnumerable<ObjectInfo> objectsInKeyOrder, string prefix, string? delimiter)
    {
        string? lastPrefix = null;
        foreach (var info in objectsInKeyOrder)
        {
            if (!info.Key.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            if (!string.IsNullOrEmpty(delimiter))
            {
                var at = info.Key.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal);
                if (at >= 0)
                {
                    var common = info.Key[..(at + delimiter.Length)];
                    if (common != lastPrefix)
                    {
                        lastPrefix = common;
                        yield return ListEntry.ForPrefix(common);
                    }

                    continue;
                }
            }

            yield return ListEntry.ForObject(info);
        }
    }
}
