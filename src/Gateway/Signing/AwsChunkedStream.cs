using System.Globalization;
using BucketMount.Gateway.Http;

namespace BucketMount.Gateway.Signing;

/// <summary>
/// Decodes an aws-chunked body (STREAMING-* payloads) into the object's bytes, checking each chunk's signature and
/// the trailing checksum and its signature. The object's last byte is held back until the final chunk and trailer
/// checked out, so a forged or truncated body never reaches the store whole: the upstream request fails instead.
/// </summary>
internal sealed class AwsChunkedStream : AsyncReadStream
{
    private const int MaxChunk = 16 * 1024 * 1024;
    private readonly BufferedReader _reader;
    private readonly VerifiedSignature _signature;
    private readonly ChunkSignatures? _chain;
    private readonly TrailingChecksum? _checksum;
    private readonly long _decodedLength;
    private byte[] _chunk = [];
    private int _chunkPosition;
    private int _chunkLength;
    private long _decoded;
    private bool _ended;

    public AwsChunkedStream(Stream body, VerifiedSignature signature, long decodedLength, string? trailerHeader)
    {
        _reader = new BufferedReader(body);
        _signature = signature;
        _decodedLength = decodedLength;
        _chain = signature.Payload is PayloadMode.StreamingSigned or PayloadMode.StreamingSignedTrailer ? new ChunkSignatures(signature) : null;
        var hasTrailer = signature.Payload is PayloadMode.StreamingSignedTrailer or PayloadMode.StreamingUnsignedTrailer;
        if (hasTrailer)
        {
            _checksum = trailerHeader is null ? null : TrailingChecksum.For(trailerHeader)
                ?? throw Invalid($"the trailer '{trailerHeader}' is not a checksum this gateway knows (crc32, crc32c, crc64nvme, sha1, sha256)");
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_chunkPosition == _chunkLength)
        {
            if (_ended)
            {
                return 0;
            }

            await LoadChunkAsync(cancellationToken).ConfigureAwait(false);
        }

        var count = Math.Min(buffer.Length, _chunkLength - _chunkPosition);
        _chunk.AsMemory(_chunkPosition, count).CopyTo(buffer);
        _chunkPosition += count;
        return count;
    }

    private async Task LoadChunkAsync(CancellationToken cancellationToken)
    {
        _chunkPosition = _chunkLength = 0;
        if (_decoded == _decodedLength)
        {
            await ReadEndAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        var (size, signature) = await ReadChunkHeaderAsync(cancellationToken).ConfigureAwait(false);
        if (size == 0 || size > MaxChunk || _decoded + size > _decodedLength)
        {
            throw Invalid($"a chunk of {size} bytes does not fit x-amz-decoded-content-length {_decodedLength} (chunks of at most 16 MiB)");
        }

        if (_chunk.Length < size)
        {
            _chunk = new byte[size];
        }

        await _reader.ReadExactlyAsync(_chunk.AsMemory(0, size), cancellationToken).ConfigureAwait(false);
        await ExpectEmptyLineAsync(cancellationToken).ConfigureAwait(false);
        VerifyChunk(_chunk.AsSpan(0, size), signature);
        _checksum?.Append(_chunk.AsSpan(0, size));
        _decoded += size;
        _chunkLength = size;
        if (_decoded == _decodedLength)
        {
            // Hold the object's last bytes until the end of the body is proven good.
            await ReadEndAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ReadEndAsync(CancellationToken cancellationToken)
    {
        var (size, signature) = await ReadChunkHeaderAsync(cancellationToken).ConfigureAwait(false);
        if (size != 0)
        {
            throw Invalid("the body holds more than x-amz-decoded-content-length");
        }

        VerifyChunk([], signature);
        var trailers = new List<(string Name, string Value)>();
        string? trailerSignature = null;
        while (await _reader.ReadLineAsync(8192, cancellationToken).ConfigureAwait(false) is { Length: > 0 } line)
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw Invalid("a trailer line is not name:value");
            }

            var name = line[..colon].Trim().ToLowerInvariant();
            var value = line[(colon + 1)..].Trim();
            if (name == "x-amz-trailer-signature")
            {
                trailerSignature = value;
            }
            else
            {
                trailers.Add((name, value));
            }
        }

        VerifyTrailers(trailers, trailerSignature);
        _ended = true;
    }

    private void VerifyTrailers(List<(string Name, string Value)> trailers, string? trailerSignature)
    {
        if (_signature.Payload == PayloadMode.StreamingSignedTrailer)
        {
            var canonical = string.Concat(trailers.Select(t => $"{t.Name}:{t.Value}\n"));
            if (trailerSignature is null || !_chain!.Accept(_chain.ExpectedForTrailer(canonical), trailerSignature))
            {
                throw new GatewayRefusal(S3ErrorCode.SignatureDoesNotMatch, "The trailer signature does not match.", "aws-chunked trailer signature mismatch");
            }
        }

        if (_checksum is not null)
        {
            var given = trailers.FirstOrDefault(t => t.Name == _checksum.Header).Value
                ?? throw Invalid($"the body announced {_checksum.Header} in x-amz-trailer but did not send it");
            if (given != _checksum.Base64Value())
            {
                throw new GatewayRefusal(S3ErrorCode.BadDigest, $"The {_checksum.Header} you specified did not match the calculated checksum.", "trailing checksum mismatch");
            }
        }
        else if (trailers.Count > 0 && _signature.Payload is PayloadMode.StreamingSigned)
        {
            throw Invalid("a body without x-amz-trailer carries trailers");
        }
    }

    private void VerifyChunk(ReadOnlySpan<byte> data, string? signature)
    {
        if (_chain is null)
        {
            return;
        }

        if (signature is null || !_chain.Accept(_chain.ExpectedForChunk(data), signature))
        {
            throw new GatewayRefusal(S3ErrorCode.SignatureDoesNotMatch, "A chunk signature does not match: the body was changed after signing.",
                $"aws-chunked chunk signature mismatch after {_decoded} bytes");
        }
    }

    private async Task<(int Size, string? Signature)> ReadChunkHeaderAsync(CancellationToken cancellationToken)
    {
        var line = await _reader.ReadLineAsync(4096, cancellationToken).ConfigureAwait(false) ?? throw Invalid("the body ended before its final chunk");
        var semicolon = line.IndexOf(';', StringComparison.Ordinal);
        var sizeText = (semicolon < 0 ? line : line[..semicolon]).Trim();
        if (!int.TryParse(sizeText, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var size) || size < 0)
        {
            throw Invalid("a chunk size is not hexadecimal");
        }

        string? signature = null;
        if (semicolon >= 0)
        {
            foreach (var extension in line[(semicolon + 1)..].Split(';'))
            {
                var equals = extension.IndexOf('=', StringComparison.Ordinal);
                if (equals > 0 && extension[..equals].Trim() == "chunk-signature")
                {
                    signature = extension[(equals + 1)..].Trim();
                }
            }
        }

        return (size, signature);
    }

    private async Task ExpectEmptyLineAsync(CancellationToken cancellationToken)
    {
        if (await _reader.ReadLineAsync(16, cancellationToken).ConfigureAwait(false) is not "")
        {
            throw Invalid("a chunk's data is not followed by CRLF");
        }
    }

    private static GatewayRefusal Invalid(string reason) => new(S3ErrorCode.InvalidRequest, "The aws-chunked body is malformed: " + reason + ".", "malformed aws-chunked body: " + reason);
}
