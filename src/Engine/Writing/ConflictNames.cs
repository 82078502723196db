using System.Globalization;

namespace BucketMount.Engine.Writing;

/// <summary>
/// Names for "keep both" conflict copies: "report.conflict-20261122-101500.docx", beside the original; a second one
/// made in the same second is "report.conflict-20261122-101500-2.docx", and so on.
/// </summary>
internal static class ConflictNames
{
    /// <param name="attempt">1 for the plain name; 2 and up when the names before it were taken.</param>
    public static string For(string key, DateTimeOffset when, int attempt = 1)
    {
        var stamp = when.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        if (attempt > 1)
        {
            stamp += "-" + attempt.ToString(CultureInfo.InvariantCulture);
        }

        var slash = key.LastIndexOf('/');
        var dot = key.LastIndexOf('.');
        return dot > slash + 1
            ? $"{key[..dot]}.conflict-{stamp}{key[dot..]}"
            : $"{key}.conflict-{stamp}";
    }
}
