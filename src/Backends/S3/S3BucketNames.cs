using System.Net;

namespace BucketMount.Backends.S3;

/// <summary>S3's bucket naming rules, checked before any request so a typo gets a clear message.</summary>
public static class S3BucketNames
{
    private static readonly string[] ReservedPrefixes = ["xn--", "sthree-", "amzn-s3-demo-"];
    private static readonly string[] ReservedSuffixes = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

    public static void Validate(string bucket)
    {
        var problem = Problem(bucket);
        if (problem is not null)
        {
            throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument,
                $"'{bucket}' is not a valid bucket name: {problem}. Bucket names are 3 to 63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit.",
                $"s3://{bucket}");
        }
    }

    private static string? Problem(string bucket)
    {
        if (bucket.Length is < 3 or > 63)
        {
            return $"it has {bucket.Length} characters";
        }

        if (bucket.Any(c => !(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '-')))
        {
            return "it holds a character other than a-z, 0-9, '.' and '-'";
        }

        if (!char.IsAsciiLetterOrDigit(bucket[0]) || !char.IsAsciiLetterOrDigit(bucket[^1]))
        {
            return "it must start and end with a letter or digit";
        }

        if (bucket.Contains("..", StringComparison.Ordinal))
        {
            return "it holds two dots in a row";
        }

        if (IPAddress.TryParse(bucket, out _) && bucket.Count(c => c == '.') == 3)
        {
            return "it looks like an IP address";
        }

        if (ReservedPrefixes.FirstOrDefault(p => bucket.StartsWith(p, StringComparison.Ordinal)) is { } prefix)
        {
            return $"it starts with '{prefix}', which S3 reserves";
        }

        return ReservedSuffixes.FirstOrDefault(s => bucket.EndsWith(s, StringComparison.Ordinal)) is { } suffix
            ? $"it ends with '{suffix}', which S3 reserves"
            : null;
    }
}
