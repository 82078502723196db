using BucketMount.Gateway.Http;

namespace BucketMount.Gateway.Forwarding;

/// <summary>A request body read no faster than its grant's byte rate allows.</summary>
internal sealed class ThrottledStream(Stream inner, Func<int, CancellationToken, ValueTask> throttle) : AsyncReadStream
{
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (read > 0)
        {
            await throttle(read, cancellationToken).ConfigureAwait(false);
        }

        return read;
    }
}
