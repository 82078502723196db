namespace BucketMount.Backends.Local;

/// <summary>Maps file-system exceptions of the local store to the store's typed errors.</summary>
internal static class LocalErrors
{
    public static ObjectStoreException From(Exception error, string location, string? key) => error switch
    {
        ObjectStoreException typed => typed,
        LocalLinkException link =>
            new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument, link.Message, location, key, error),
        LocalNotAFolderException notFolder =>
            new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument, $"{notFolder.Message} A local folder store cannot hold an object and a folder of the same name.", location, key, error),
        FileNotFoundException or DirectoryNotFoundException =>
            new ObjectStoreException(ObjectStoreErrorKind.NotFound, "no object has this key.", location, key, error),
        UnauthorizedAccessException =>
            new ObjectStoreException(ObjectStoreErrorKind.AccessDenied, $"the file system refused access ({error.Message}); check the folder's owner and permissions.", location, key, error),
        IOException io when IsDiskFull(io) =>
            new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument, "the disk holding the local store is full; free space and retry.", location, key, error),
        _ => new ObjectStoreException(ObjectStoreErrorKind.Transient, $"a file-system operation failed: {error.Message}", location, key, error),
    };

    // ENOSPC (28) on Unix, ERROR_DISK_FULL (112) / ERROR_HANDLE_DISK_FULL (39) on Windows.
    private static bool IsDiskFull(IOException error) => (error.HResult & 0xFFFF) is 28 or 112 or 39;
}
