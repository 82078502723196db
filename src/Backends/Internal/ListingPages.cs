namespace BucketMount.Backends.Internal;

/// <summary>
/// Counts a LIST request per page of 1000 entries (S3's and Azure's page size) for stores that list without
/// paging, so request counts from every store compare like for like in tests and benchmarks.
/// </summary>
public static class ListingPages
{
    public const int PageSize = 1000;

    public static IEnumerable<ListEntry> Count(IEnumerable<ListEntry> entries, StoreCounters counters)
    {
        var inPage = 0;
        counters.CountRequest(RequestKind.List);
        foreach (var entry in entries)
        {
            if (inPage == PageSize)
            {
                counters.CountRequest(RequestKind.List);
                inPage = 0;
            }

            inPage++;
            yield return entry;
        }
    }
}
