using System.Globalization;

namespace BucketMount.Engine.Writing;

/// <summary>Names for "keep both" conflict copies: "report.conflict-20261122-101500.docx", beside the original.</summary>
public static class ConflictNames
{
    public static string For(string key, DateTimeOffset when)
    {
        var stamp = when.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var slash = key.LastIndexOf('/');
        var dot = key.LastIndexOf('.');
        return dot > slash + 1
            ? $"{key[..dot]}.conflict-{stamp}{key[dot..]}"
            : $"{key}.conflict-{stamp}";
    }
}
