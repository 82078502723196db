namespace BucketMount.Backends;

/// <summary>What a store knows about one object. <see cref="Metadata"/> is null when the answer carried none (listings).</summary>
public sealed record ObjectInfo(
    string Key,
    long Size,
    string ETag,
    DateTimeOffset LastModified,
    IReadOnlyDictionary<string, string>? Metadata = null,
    string? ContentType = null);
