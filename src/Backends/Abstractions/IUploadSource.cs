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
}
