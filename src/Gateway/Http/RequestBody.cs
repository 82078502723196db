using System.Globalization;

namespace BucketMount.Gateway.Http;

/// <summary>
/// A request's body as HTTP framed it (Content-Length or chunked transfer coding), read straight off the
/// connection. The first read sends "100 Continue" when the client asked for it, so a request refused before its
/// body is read never has the body sent at all.
/// </summary>
internal sealed class RequestBody : AsyncReadStream
{
    private readonly BufferedReader _reader;
    private readonly Func<CancellationToken, ValueTask>? _sendContinue;
    private readonly bool _chunked;
    private long _remaining;
    private bool _continueSent;
    private bool _ended;

    private RequestBody(BufferedReader reader, long? length, Func<CancellationToken, ValueTask>? sendContinue)
    {
        _reader = reader;
        _chunked = length is null;
        _remaining = length ?? 0;
        _ended = length == 0;
        _sendContinue = sendContinue;
    }

    /// <summary>The Content-Length, or null for a chunked body.</summary>
    public long? DeclaredLength => _chunked ? null : _remaining + BytesRead;

    public long BytesRead { get; private set; }

    /// <summary>The client waits for "100 Continue" before sending the body, and has not been told to go on.</summary>
    public bool AwaitingContinue => _sendContinue is not null && !_continueSent;

    /// <summary>Whether the connection is past this body (so it can carry another request).</summary>
    public bool Complete => _ended;

    public static RequestBody For(HttpRequestHead head, BufferedReader reader, Func<CancellationToken, ValueTask> sendContinue)
    {
        var expectContinue = string.Equals(head.Header("expect"), "100-continue", StringComparison.OrdinalIgnoreCase);
        if (head.Header("transfer-encoding") is { } coding)
        {
            if (!string.Equals(coding.Trim(), "chunked", StringComparison.OrdinalIgnoreCase))
            {
                throw new GatewayRefusal(S3ErrorCode.NotImplemented, $"Transfer-Encoding {coding} is not supported.");
            }

            return new RequestBody(reader, null, expectContinue ? sendContinue : null);
        }

        var lengthText = head.Header("content-length");
        if (lengthText is null)
        {
            return new RequestBody(reader, 0, null);
        }

        if (!long.TryParse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture, out var length))
        {
            throw new GatewayRefusal(S3ErrorCode.InvalidArgument, "Content-Length is not a number.");
        }

        return new RequestBody(reader, length, expectContinue && length > 0 ? sendContinue : null);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_sendContinue is not null && !_continueSent)
        {
            _continueSent = true;
            await _sendContinue(cancellationToken).ConfigureAwait(false);
        }

        if (_ended || buffer.Length == 0)
        {
            return 0;
        }

        if (_chunked && _remaining == 0 && !await NextChunkAsync(cancellationToken).ConfigureAwait(false))
        {
            return 0;
        }

        var read = await _reader.ReadSomeAsync(buffer[..(int)Math.Min(buffer.Length, _remaining)], cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            throw new EndOfStreamException("the client closed the connection inside the body");
        }

        _remaining -= read;
        BytesRead += read;
        if (_remaining == 0)
        {
            if (_chunked)
            {
                await _reader.ReadLineAsync(16, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                _ended = true;
            }
        }

        return read;
    }

    /// <summary>Reads the next chunk size; false after the last chunk (and its trailer section).</summary>
    private async ValueTask<bool> NextChunkAsync(CancellationToken cancellationToken)
    {
        var line = await _reader.ReadLineAsync(4096, cancellationToken).ConfigureAwait(false) ?? throw new EndOfStreamException("the chunked body ended early");
        var semicolon = line.IndexOf(';', StringComparison.Ordinal);
        if (!long.TryParse(semicolon < 0 ? line.Trim() : line[..semicolon].Trim(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var size) || size < 0)
        {
            throw new InvalidDataException("a chunk size is not hexadecimal");
        }

        if (size > 0)
        {
            _remaining = size;
            return true;
        }

        while (await _reader.ReadLineAsync(8192, cancellationToken).ConfigureAwait(false) is { Length: > 0 })
        {
        }

        _ended = true;
        return false;
    }

    /// <summary>Reads and drops what is left, up to <paramref name="limit"/> bytes; true when the body is complete.</summary>
    public async Task<bool> DrainAsync(long limit, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        var drained = 0L;
        while (!_ended && drained <= limit)
        {
            var read = await ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            drained += read;
        }

        return _ended;
    }
}
