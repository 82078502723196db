using BucketMount.Gateway.Grants;

namespace BucketMount.Gateway.Policy;

/// <summary>
/// Whether a key lies under a grant's prefix. S3 keys are literal, but clients, proxies and stores that normalise
/// paths are common: a key that could be read as another one (a "." or ".." segment, or one that a second
/// percent-decoding changes into something outside the prefix) is refused rather than guessed at.
/// </summary>
internal static class KeyRules
{
    public static void RequireUnderPrefix(string key, Grant grant, string what)
    {
        if (Problem(key, grant) is { } problem)
        {
            throw new GatewayRefusal(S3ErrorCode.AccessDenied, $"Access denied: {what} {problem}.", $"{what} {problem}");
        }

        var twice = Uri.UnescapeDataString(key);
        if (twice != key && Problem(twice, grant) is { } doubled)
        {
            throw new GatewayRefusal(S3ErrorCode.AccessDenied, $"Access denied: {what}, decoded twice, {doubled}.", $"double-encoded {what} {doubled}");
        }
    }

    private static string? Problem(string key, Grant grant)
    {
        if (key.Length == 0)
        {
            return "is empty";
        }

        foreach (var segment in key.Split('/', '\\'))
        {
            if (segment is "." or "..")
            {
                return "has a '.' or '..' segment";
            }
        }

        return key.StartsWith(grant.Prefix, StringComparison.Ordinal) ? null : "is outside the grant's prefix";
    }
}
