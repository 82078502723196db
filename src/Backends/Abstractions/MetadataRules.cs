using System.Text;

namespace BucketMount.Backends;

/// <summary>
/// The user-metadata names and values every store can carry. Azure requires names to be C# identifiers and
/// S3 sends values as HTTP headers, so the common ground is: lower-case names of letters, digits and '_'
/// starting with a letter, and printable ASCII values. Callers that need more (unicode) encode it themselves.
/// </summary>
public static class MetadataRules
{
    public const int MaxTotalBytes = 2048;

    /// <summary>Throws InvalidArgument naming the offending entry; returns a normalized (lower-case name) copy.</summary>
    public static IReadOnlyDictionary<string, string>? Validate(IReadOnlyDictionary<string, string>? metadata, string? location, string key)
    {
        if (metadata is null || metadata.Count == 0)
        {
            return metadata;
        }

        var result = new Dictionary<string, string>(metadata.Count, StringComparer.Ordinal);
        var total = 0;
        foreach (var (name, value) in metadata)
        {
            if (!IsValidName(name))
            {
                throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument,
                    $"metadata name '{name}' is not allowed: use letters, digits and '_', starting with a letter.", location, key);
            }

            if (!IsValidValue(value))
            {
                throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument,
                    $"metadata '{name}' has a value with characters outside printable ASCII; encode it first.", location, key);
            }

            total += name.Length + value.Length;
            result[name.ToLowerInvariant()] = value;
        }

        if (total > MaxTotalBytes)
        {
            throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument,
                $"metadata takes {total} bytes; stores accept at most {MaxTotalBytes}.", location, key);
        }

        return result;
    }

    public static bool IsValidName(string name)
    {
        if (name.Length == 0 || name.Length > 128 || !char.IsAsciiLetter(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_')
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsValidValue(string value)
    {
        foreach (var c in value)
        {
            if (c < 0x20 || c > 0x7e)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Validates a key every store accepts: non-empty, no NUL, at most <paramref name="maxBytes"/> UTF-8 bytes.</summary>
    public static void ValidateKey(string key, int maxBytes, string? location)
    {
        if (string.IsNullOrEmpty(key))
        {
            throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument, "the key is empty; give the object a name.", location, key);
        }

        if (key.Contains('\0'))
        {
            throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument, "the key contains a NUL character, which no store accepts.", location, key);
        }

        var bytes = Encoding.UTF8.GetByteCount(key);
        if (bytes > maxBytes)
        {
            throw new ObjectStoreException(ObjectStoreErrorKind.KeyTooLong, $"the key is {bytes} UTF-8 bytes; this store accepts at most {maxBytes}.", location, key);
        }
    }
}
