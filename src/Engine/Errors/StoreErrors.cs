using BucketMount.Backends;

namespace BucketMount.Engine;

/// <summary>Turns store failures into filesystem failures, in one place for both hosts.</summary>
internal static class StoreErrors
{
    public static FileSystemException ToFileSystem(this ObjectStoreException error, string path) => new(error.Kind switch
    {
        ObjectStoreErrorKind.NotFound => FsError.NotFound,
        ObjectStoreErrorKind.AccessDenied => FsError.AccessDenied,
        ObjectStoreErrorKind.InvalidArgument => FsError.InvalidArgument,
        ObjectStoreErrorKind.KeyTooLong => FsError.NameTooLong,
        ObjectStoreErrorKind.NotSupported => FsError.NotSupported,
        ObjectStoreErrorKind.Throttled or ObjectStoreErrorKind.Transient => FsError.Unavailable,
        _ => FsError.IoError,
    }, path, error.Message, error);

    public static FileSystemException NotFound(string path) => new(FsError.NotFound, path, "no such file or directory.");
}
