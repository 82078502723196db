using Microsoft.Win32.SafeHandles;

namespace BucketMount.Backends.Local;

/// <summary>Builds an object's info from its data file and sidecar, the one place the local store derives ETags.</summary>
internal static class LocalObjectInfo
{
    /// <summary>Sidecars are a few hundred bytes; a bigger file there was not written by the store.</summary>
    private const int MaxSidecarBytes = 4 * 1024 * 1024;

    public static ObjectInfo Create(string key, long size, DateTime modifiedUtc, LocalSidecar? sidecar)
    {
        var current = sidecar is not null && sidecar.Size == size && sidecar.ModifiedTicks == modifiedUtc.Ticks;

        // A file changed behind the store's back keeps no stale ETag: size and time stand in for its content hash.
        var etag = current ? sidecar!.ETag : $"\"{size:x}-{modifiedUtc.Ticks:x}\"";
        var lastModified = new DateTimeOffset(modifiedUtc, TimeSpan.Zero);
        return new ObjectInfo(key, size, etag, lastModified, sidecar?.Metadata ?? new Dictionary<string, string>(), sidecar?.ContentType ?? "application/octet-stream");
    }

    /// <summary>The sidecar <paramref name="name"/> of a metadata folder, or null when there is none (or a link stands there).</summary>
    public static LocalSidecar? ReadSidecar(LocalDirectory? metaFolder, string name)
    {
        if (metaFolder is null)
        {
            return null;
        }

        SafeFileHandle? handle;
        try
        {
            handle = metaFolder.OpenRead(name);
        }
        catch (LocalLinkException)
        {
            return null;
        }

        if (handle is null)
        {
            return null;
        }

        using (handle)
        {
            var length = RandomAccess.GetLength(handle);
            if (length > MaxSidecarBytes)
            {
                return null;
            }

            var bytes = new byte[length];
            var total = 0;
            while (total < bytes.Length)
            {
                var read = RandomAccess.Read(handle, bytes.AsSpan(total), total);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }

            return LocalSidecar.TryParse(bytes.AsSpan(0, total).ToArray());
        }
    }
}
