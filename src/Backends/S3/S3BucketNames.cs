using System.Net;

namespace BucketMount.Backends.S3;

/// <summary>S3's bucket naming rules, checked before any request so a typo gets a clear message.</summary>
public static class S3BucketNames
{
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

        return IPAddress.TryParse(bucket, out _) && bucket.Count(c => c == '.') == 3 ? "it looks like an IP address" : null;
    }
}
