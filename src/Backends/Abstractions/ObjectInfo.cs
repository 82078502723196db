namespace BucketMount.Backends;

/// <summary>What a store knows about one object. <see cref="Metadata"/> is null when the answer carried none (listings).</summary>
public sealed record ObjectInfo(
    string Key,
    long Size,
    string ETag,
    DateTimeOffset LastModified,
    IReadOnlyDictionary<string, string>? Metadata = null,
    string? ContentType = null);

/// <summary>
/// A small object read whole with what a HEAD tells of it (<see cref="IObjectStore.GetSmallAsync"/>);
/// <see cref="Data"/> is null when the object was larger than the caller would take.
/// </summary>
public sealed record SmallObject(ObjectInfo Info, byte[]? Data);
