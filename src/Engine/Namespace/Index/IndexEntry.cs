namespace BucketMount.Engine.Namespace.Index;

/// <summary>
/// What a HEAD of one child of a directory would say, for one version of it: the user metadata as stored, and the
/// validator that names that version in a listing (ETag, size and the store's last-modified time in whole seconds).
/// A directory's entry describes its "dir/" marker; a symbolic link's entry carries its target too.
/// </summary>
/// <param name="IsDirectory">The child is a directory (a common prefix in the parent's listing).</param>
/// <param name="ETag">The version's ETag; null for a directory that has no marker object.</param>
/// <param name="Size">The version's size; null while unknown (learnt from our own upload, before a listing saw it).</param>
/// <param name="LastModifiedSeconds">The store's last-modified time, Unix seconds; null while unknown (S3 PUT answers carry none).</param>
/// <param name="Metadata">The object's user metadata (empty when it has none).</param>
/// <param name="LinkTarget">A symbolic link's target bytes (the object's body), when known.</param>
public sealed record IndexEntry(
    bool IsDirectory,
    string? ETag,
    long? Size,
    long? LastModifiedSeconds,
    IReadOnlyDictionary<string, string> Metadata,
    byte[]? LinkTarget = null)
{
    /// <summary>Whole seconds: listings and HEAD answers give the same time at different precisions.</summary>
    public static long Seconds(DateTimeOffset time) => time.ToUnixTimeSeconds();

    /// <summary>True when this entry describes exactly the listed version (same ETag, size and last-modified second).</summary>
    public bool Describes(string etag, long size, DateTimeOffset lastModified) =>
        ETag == etag && Size == size && LastModifiedSeconds == Seconds(lastModified);
}
