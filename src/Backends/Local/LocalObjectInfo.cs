namespace BucketMount.Backends.Local;

/// <summary>Builds an object's info from its data file and sidecar, the one place the local store derives ETags.</summary>
internal static class LocalObjectInfo
{
    public static ObjectInfo Read(FileInfo file, string metaPath, string key, bool withMetadata)
    {
        var sidecar = File.Exists(metaPath) ? LocalSidecar.TryParse(File.ReadAllBytes(metaPath)) : null;
        var modified = file.LastWriteTimeUtc;
        var current = sidecar is not null && sidecar.Size == file.Length && sidecar.ModifiedTicks == modified.Ticks;

        // A file changed behind the store's back keeps no stale ETag: size and time stand in for its content hash.
        var etag = current ? sidecar!.ETag : $"\"{file.Length:x}-{modified.Ticks:x}\"";
        var lastModified = new DateTimeOffset(modified, TimeSpan.Zero);
        return withMetadata
            ? new ObjectInfo(key, file.Length, etag, lastModified, sidecar?.Metadata ?? new Dictionary<string, string>(), sidecar?.ContentType ?? "application/octet-stream")
            : new ObjectInfo(key, file.Length, etag, lastModified);
    }
}
