namespace BucketMount.Backends;

/// <summary>Every failure a store reports falls into exactly one of these.</summary>
public enum ObjectStoreErrorKind
{
    /// <summary>The bucket, container or object does not exist.</summary>
    NotFound,

    /// <summary>Credentials are missing, wrong, expired, or lack permission.</summary>
    AccessDenied,

    /// <summary>A condition (If-Match, If-None-Match) did not hold: someone else changed the object.</summary>
    PreconditionFailed,

    /// <summary>The store asked us to slow down (429, 503 SlowDown). Retried with backoff.</summary>
    Throttled,

    /// <summary>A failure that may pass: 5xx, timeout, connection reset. Retried with backoff.</summary>
    Transient,

    /// <summary>The request itself was wrong: a bad key, name, range or option. Never retried.</summary>
    InvalidArgument,

    /// <summary>
    /// The key, or a part of it the store keeps as one file name (the local store), is longer than the store takes.
    /// Never retried; a file system says ENAMETOOLONG.
    /// </summary>
    KeyTooLong,

    /// <summary>The store cannot do this at all (see <see cref="StoreCapabilities"/>).</summary>
    NotSupported,
}
