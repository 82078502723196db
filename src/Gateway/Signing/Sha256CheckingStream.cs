using System.Security.Cryptography;
using BucketMount.Gateway.Http;

namespace BucketMount.Gateway.Signing;

/// <summary>
/// Passes a body of known length on while hashing it, and refuses its last bytes unless their SHA-256 is the one the
/// signature covers: a request replayed with a changed body fails upstream before the store has it whole.
/// </summary>
internal sealed class Sha256CheckingStream(Stream body, long length, string expectedHex) : AsyncReadStream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _read;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_read == length)
        {
            return 0;
        }

        var count = await body.ReadAsync(buffer[..(int)Math.Min(buffer.Length, length - _read)], cancellationToken).ConfigureAwait(false);
        if (count == 0)
        {
            throw new EndOfStreamException("the body ended before its Content-Length");
        }

        _hash.AppendData(buffer.Span[..count]);
        _read += count;
        if (_read == length && !SigV4Crypto.SameSignature(expectedHex, SigV4Crypto.Hex(_hash.GetHashAndReset())))
        {
            throw new GatewayRefusal(S3ErrorCode.ContentSha256Mismatch, "The provided 'x-amz-content-sha256' header does not match what was computed.",
                "body does not match its signed SHA-256 (changed or replayed body)");
        }

        return count;
    }
}
