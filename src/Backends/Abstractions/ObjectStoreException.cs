namespace BucketMount.Backends;

/// <summary>
/// The one exception type stores throw. The message names the store location (bucket/container) and the key,
/// says what went wrong and what to do; it never contains credentials.
/// </summary>
public sealed class ObjectStoreException : Exception
{
    public ObjectStoreException(ObjectStoreErrorKind kind, string message, string? location = null, string? key = null, Exception? innerException = null)
        : base(Compose(kind, message, location, key), innerException)
    {
        Kind = kind;
        Location = location;
        Key = key;
    }

    public ObjectStoreErrorKind Kind { get; }

    /// <summary>Where the store points, e.g. "s3://bucket/prefix" (never with secrets).</summary>
    public string? Location { get; }

    public string? Key { get; }

    /// <summary>Throttled and transient failures may succeed when tried again.</summary>
    public bool IsRetryable => Kind is ObjectStoreErrorKind.Throttled or ObjectStoreErrorKind.Transient;

    private static string Compose(ObjectStoreErrorKind kind, string message, string? location, string? key)
    {
        // The user reads this (an error line, a log, the event log): what happened in their words, never the enum's name.
        var what = kind switch
        {
            ObjectStoreErrorKind.NotFound => "not found",
            ObjectStoreErrorKind.AccessDenied => "access denied",
            ObjectStoreErrorKind.PreconditionFailed => "changed by someone else",
            ObjectStoreErrorKind.Throttled => "the store asked to slow down",
            ObjectStoreErrorKind.Transient => "the store did not answer",
            ObjectStoreErrorKind.KeyTooLong => "name too long",
            ObjectStoreErrorKind.NotSupported => "not supported",
            _ => null,
        };
        // The bucket's root (a listing of "") is named by the location alone.
        key = string.IsNullOrEmpty(key) ? null : key;
        var where = (location, key) switch
        {
            (null, null) => null,
            (null, _) => $"key '{PrintableNames.Escape(key)}'",
            (_, null) => location,
            _ => $"{location}, key '{PrintableNames.Escape(key)}'",
        };
        var prefix = (what, where) switch
        {
            (null, null) => "",
            (null, _) => $"{where}: ",
            (_, null) => $"{what}: ",
            _ => $"{what} ({where}): ",
        };

        // Messages may quote parts of a key (a segment too long, a clash): no control character reaches a terminal.
        return PrintableNames.EscapeControls(prefix + message);
    }
}
