namespace BucketMount.Backends.Decorators;

/// <summary>
/// Which try of a request is running, set by <see cref="RetryingObjectStore"/> around each try and read by the
/// request log beneath it (flows with the async call, so concurrent requests each see their own).
/// </summary>
public static class RequestAttempt
{
    private static readonly AsyncLocal<int> s_current = new();

    /// <summary>1 for the first try, 2 for the first retry…; 1 outside any retry loop.</summary>
    public static int Current => Math.Max(1, s_current.Value);

    internal static void Set(int attempt) => s_current.Value = attempt;
}
