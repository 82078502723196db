namespace BucketMount.Backends.Internal;

/// <summary>If-Match / If-None-Match as S3 evaluates them, for the stores that evaluate them themselves (memory, local).</summary>
public static class Preconditions
{
    /// <summary>A read (or copy source) tied to one version: fails unless the object still has <paramref name="ifMatch"/>.</summary>
    public static void CheckRead(ObjectInfo current, string? ifMatch, string location)
    {
        if (ifMatch is not null && ifMatch != current.ETag)
        {
            throw new ObjectStoreException(ObjectStoreErrorKind.PreconditionFailed, $"the object changed: its ETag is {current.ETag}, not {ifMatch}.", location, current.Key);
        }
    }

    /// <summary>A write's conditions against the object it would replace (null when there is none).</summary>
    public static void CheckWrite(ObjectInfo? existing, PutOptions? options, string location, string key)
    {
        if (options?.IfNoneMatch == true && existing is not null)
        {
            throw new ObjectStoreException(ObjectStoreErrorKind.PreconditionFailed, "the object already exists (If-None-Match: *).", location, key);
        }

        if (options?.IfMatch is { } expected && existing?.ETag != expected)
        {
            throw new ObjectStoreException(ObjectStoreErrorKind.PreconditionFailed,
                existing is null ? "the object no longer exists (If-Match)." : $"the object changed: its ETag is {existing.ETag}, not {expected}.", location, key);
        }
    }
}
