namespace BucketMount.Engine;

/// <summary>The one exception the engine throws to hosts: an <see cref="FsError"/> and a message naming the path.</summary>
public sealed class FileSystemException : Exception
{
    public FileSystemException(FsError error, string path, string message, Exception? innerException = null)
        : base($"{path}: {message}", innerException)
    {
        Error = error;
        Path = path;
    }

    public FsError Error { get; }

    public string Path { get; }
}
