using System.Text;

namespace BucketMount.Gateway.Http;

/// <summary>
/// Reads CRLF-terminated lines and exact byte counts from a stream through one buffer: HTTP heads, HTTP chunked
/// bodies and aws-chunked payloads all need both, and a line must never swallow the bytes after it.
/// </summary>
internal sealed class BufferedReader(Stream inner, int bufferSize = 64 * 1024)
{
    private readonly byte[] _buffer = new byte[bufferSize];
    private int _start;
    private int _end;

    /// <summary>The next line without its CRLF (a bare LF also ends it); null at the end of the stream.</summary>
    public async ValueTask<string?> ReadLineAsync(int maxLength, CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        while (true)
        {
            if (_start == _end && !await FillAsync(cancellationToken).ConfigureAwait(false))
            {
                return line.Length == 0 ? null : throw new InvalidDataException("the stream ended inside a line");
            }

            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            var stop = newline < 0 ? _end : newline;
            line.Append(Encoding.Latin1.GetString(_buffer, _start, stop - _start));
            _start = newline < 0 ? _end : newline + 1;
            if (line.Length > maxLength)
            {
                throw new InvalidDataException($"a line is longer than {maxLength} bytes");
            }

            if (newline >= 0)
            {
                return line.Length > 0 && line[^1] == '\r' ? line.ToString(0, line.Length - 1) : line.ToString();
            }
        }
    }

    /// <summary>Reads up to <paramref name="destination"/>'s length; 0 only at the end of the stream.</summary>
    public async ValueTask<int> ReadSomeAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (_start == _end)
        {
            // A large read goes straight to the caller's memory rather than through the buffer.
            if (destination.Length >= _buffer.Length)
            {
                return await inner.ReadAsync(destination, cancellationToken).ConfigureAwait(false);
            }

            if (!await FillAsync(cancellationToken).ConfigureAwait(false))
            {
                return 0;
            }
        }

        var count = Math.Min(destination.Length, _end - _start);
        _buffer.AsMemory(_start, count).CopyTo(destination);
        _start += count;
        return count;
    }

    public async ValueTask ReadExactlyAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        while (destination.Length > 0)
        {
            var read = await ReadSomeAsync(destination, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new EndOfStreamException("the body ended early");
            }

            destination = destination[read..];
        }
    }

    private async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        _start = 0;
        _end = await inner.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
        return _end > 0;
    }
}
