namespace BucketMount.Engine.Caching;

/// <summary>One block of one version of one object. Keyed by ETag, so a changed object never serves old bytes.</summary>
internal readonly record struct ObjectVersion(string Key, string ETag, long Size);

/// <summary>A block of an object version: bytes [Index * BlockSize, (Index + 1) * BlockSize).</summary>
internal readonly record struct BlockKey(ObjectVersion Version, long Index);
