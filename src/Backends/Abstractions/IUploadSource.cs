namespace BucketMount.Backends;

/// <summary>
/// The bytes of a large upload, readable at any offset from several parts at once (positional reads,
/// so parallel parts need no shared stream position).
/// </summary>
public interface IUploadSource
{
    long Length { get; }

    /// <summary>Fills as much of <paramref name="buffer"/> as the source holds from <paramref name="offset"/>.</summary>
    ValueTask<int> ReadAtAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>
    /// The same, synchronously: the S3 SDK reads a request body with synchronous reads to sign it, and a part
    /// read straight from the source needs no buffer of its own. Sources are local files or memory, so this
    /// never waits on the network.
    /// </summary>
    int ReadAt(long offset, Span<byte> buffer);
}
