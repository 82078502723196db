using BucketMount.Engine;

namespace BucketMount.Dokan;

/// <summary>The NTSTATUS values the host returns, and the one mapping from engine errors (a test walks every <see cref="FsError"/>).</summary>
public static class NtStatus
{
    public const int Success = 0;
    public const int BufferOverflow = unchecked((int)0x80000005);
    public const int NotImplemented = unchecked((int)0xC0000002);
    public const int InvalidHandle = unchecked((int)0xC0000008);
    public const int InvalidParameter = unchecked((int)0xC000000D);
    public const int NoSuchFile = unchecked((int)0xC000000F);
    public const int AccessDenied = unchecked((int)0xC0000022);
    public const int ObjectNameInvalid = unchecked((int)0xC0000033);
    public const int ObjectNameNotFound = unchecked((int)0xC0000034);
    public const int ObjectNameCollision = unchecked((int)0xC0000035);
    public const int ObjectPathNotFound = unchecked((int)0xC000003A);
    public const int SharingViolation = unchecked((int)0xC0000043);
    public const int FileLockConflict = unchecked((int)0xC0000054);
    public const int LockNotGranted = unchecked((int)0xC0000055);
    public const int DeletePending = unchecked((int)0xC0000056);
    public const int RangeNotLocked = unchecked((int)0xC000007E);
    public const int DiskFull = unchecked((int)0xC000007F);
    public const int MediaWriteProtected = unchecked((int)0xC00000A2);
    public const int FileIsADirectory = unchecked((int)0xC00000BA);
    public const int NotSupported = unchecked((int)0xC00000BB);
    public const int InternalError = unchecked((int)0xC00000E5);
    public const int DirectoryNotEmpty = unchecked((int)0xC0000101);
    public const int NotADirectory = unchecked((int)0xC0000103);
    public const int NameTooLong = unchecked((int)0xC0000106);
    public const int CannotDelete = unchecked((int)0xC0000121);
    public const int IoDeviceError = unchecked((int)0xC0000185);
    public const int TooManyOpenedFiles = unchecked((int)0xC000011F);
    public const int InsufficientResources = unchecked((int)0xC000009A);
    public const int RetryableNetworkError = unchecked((int)0xC00000C4); // STATUS_UNEXPECTED_NETWORK_ERROR

    public static int From(FsError error) => error switch
    {
        FsError.NotFound => ObjectNameNotFound,
        FsError.Exists => ObjectNameCollision,
        FsError.NotADirectory => NotADirectory,
        FsError.IsADirectory => FileIsADirectory,
        FsError.NotEmpty => DirectoryNotEmpty,
        FsError.AccessDenied => AccessDenied,
        FsError.ReadOnly => MediaWriteProtected,
        FsError.NoSpace => DiskFull,
        FsError.InvalidName => ObjectNameInvalid,
        FsError.NameTooLong => NameTooLong,
        FsError.InvalidArgument => InvalidParameter,
        FsError.NotSupported => NotSupported,
        FsError.BadHandle => InvalidHandle,
        FsError.IoError => IoDeviceError,
        FsError.Unavailable => RetryableNetworkError,
        FsError.TooManyOpenFiles => TooManyOpenedFiles,
        FsError.SystemTooManyOpenFiles => InsufficientResources,
        _ => throw new ArgumentOutOfRangeException(nameof(error), error, "an engine error without an NTSTATUS: add it to NtStatus.From."),
    };

    /// <summary>Readable name for logs and test messages.</summary>
    public static string Name(int status) => status switch
    {
        Success => "STATUS_SUCCESS",
        ObjectNameNotFound => "STATUS_OBJECT_NAME_NOT_FOUND",
        ObjectNameCollision => "STATUS_OBJECT_NAME_COLLISION",
        ObjectPathNotFound => "STATUS_OBJECT_PATH_NOT_FOUND",
        SharingViolation => "STATUS_SHARING_VIOLATION",
        AccessDenied => "STATUS_ACCESS_DENIED",
        DirectoryNotEmpty => "STATUS_DIRECTORY_NOT_EMPTY",
        CannotDelete => "STATUS_CANNOT_DELETE",
        DeletePending => "STATUS_DELETE_PENDING",
        FileIsADirectory => "STATUS_FILE_IS_A_DIRECTORY",
        NotADirectory => "STATUS_NOT_A_DIRECTORY",
        _ => $"0x{status:X8}",
    };
}
