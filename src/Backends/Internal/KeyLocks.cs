namespace BucketMount.Backends.Internal;

/// <summary>
/// Striped async locks by key: a key always maps to the same lock, distinct keys rarely share one, and the
/// number of locks stays fixed however many keys there are.
/// </summary>
public sealed class KeyLocks
{
    private readonly SemaphoreSlim[] _stripes;

    public KeyLocks(int stripes = 64)
    {
        _stripes = new SemaphoreSlim[stripes];
        for (var i = 0; i < stripes; i++)
        {
            _stripes[i] = new SemaphoreSlim(1, 1);
        }
    }

    public async ValueTask<Releaser> AcquireAsync(string key, CancellationToken cancellationToken)
    {
        var stripe = _stripes[(int)((uint)StringComparer.Ordinal.GetHashCode(key) % (uint)_stripes.Length)];
        await stripe.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Releaser(stripe);
    }

    public readonly struct Releaser(SemaphoreSlim stripe) : IDisposable
    {
        public void Dispose() => stripe.Release();
    }
}
