namespace BucketMount.Backends;

/// <summary>The kinds of request a store sends, as billed by object stores.</summary>
public enum RequestKind
{
    Get,
    Put,
    Head,
    List,
    Copy,
    Delete,
    /// <summary>Initiate, part, complete or abort of a multipart upload (Azure: Put Block, Put Block List).</summary>
    Multipart,
}

/// <summary>Thread-safe counters of real requests sent and bytes moved; later shown by status and benchmarks.</summary>
public sealed class StoreCounters
{
    private readonly long[] _requests = new long[Enum.GetValues<RequestKind>().Length];
    private long _bytesUploaded;
    private long _bytesDownloaded;
    private long _retries;
    private long _errors;

    public void CountRequest(RequestKind kind) => Interlocked.Increment(ref _requests[(int)kind]);

    public void AddUploaded(long bytes) => Interlocked.Add(ref _bytesUploaded, bytes);

    public void AddDownloaded(long bytes) => Interlocked.Add(ref _bytesDownloaded, bytes);

    public void CountRetry() => Interlocked.Increment(ref _retries);

    public void CountError() => Interlocked.Increment(ref _errors);

    public long Requests(RequestKind kind) => Interlocked.Read(ref _requests[(int)kind]);

    public long TotalRequests => Enum.GetValues<RequestKind>().Sum(Requests);

    public long BytesUploaded => Interlocked.Read(ref _bytesUploaded);

    public long BytesDownloaded => Interlocked.Read(ref _bytesDownloaded);

    public long Retries => Interlocked.Read(ref _retries);

    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>A consistent-enough copy for display and for before/after comparisons in tests.</summary>
    public StoreCountersSnapshot Snapshot() => new(
        Enum.GetValues<RequestKind>().ToDictionary(k => k, Requests),
        BytesUploaded,
        BytesDownloaded,
        Retries,
        Errors);
}

/// <summary>A point-in-time copy of <see cref="StoreCounters"/>.</summary>
public sealed record StoreCountersSnapshot(
    IReadOnlyDictionary<RequestKind, long> Requests,
    long BytesUploaded,
    long BytesDownloaded,
    long Retries,
    long Errors)
{
    public long TotalRequests => Requests.Values.Sum();

    /// <summary>What happened between <paramref name="earlier"/> and this snapshot.</summary>
    public StoreCountersSnapshot Since(StoreCountersSnapshot earlier) => new(
        Requests.ToDictionary(p => p.Key, p => p.Value - earlier.Requests.GetValueOrDefault(p.Key)),
        BytesUploaded - earlier.BytesUploaded,
        BytesDownloaded - earlier.BytesDownloaded,
        Retries - earlier.Retries,
        Errors - earlier.Errors);

    public override string ToString() =>
        string.Join(' ', Requests.Where(p => p.Value != 0).Select(p => $"{p.Key.ToString().ToUpperInvariant()}={p.Value}"))
        + $" up={BytesUploaded}B down={BytesDownloaded}B retries={Retries}";
}
