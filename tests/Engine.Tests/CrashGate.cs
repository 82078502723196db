using System.Runtime.CompilerServices;
using BucketMount.Backends;
using BucketMount.Backends.Decorators;

namespace BucketMount.Engine.Tests;

/// <summary>
/// Cuts one engine off the store at the instant its process "dies" (<see cref="Kill"/>): no call starts after it,
/// and a call under way may still act in the store but its answer never comes back, as with a killed process.
/// The engine therefore learns nothing after the crash that could change what it left in its cache directory.
/// </summary>
internal sealed class CrashGate(IObjectStore inner) : ObjectStoreDecorator(inner)
{
    private volatile bool _dead;

    public void Kill() => _dead = true;

    public override Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken) => RunAsync(() => Inner.HeadAsync(key, cancellationToken));

    public override Task<SmallObject?> GetSmallAsync(string key, int maxBytes, CancellationToken cancellationToken) =>
        RunAsync(() => Inner.GetSmallAsync(key, maxBytes, cancellationToken));

    public override async IAsyncEnumerable<ListEntry> ListAsync(string prefix, string? delimiter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Check();
        await foreach (var entry in Inner.ListAsync(prefix, delimiter, cancellationToken).ConfigureAwait(false))
        {
            Check();
            yield return entry;
        }
    }

    public override Task<int> ReadAsync(string key, long offset, Memory<byte> buffer, ReadOptions? options, CancellationToken cancellationToken) =>
        RunAsync(() => Inner.ReadAsync(key, offset, buffer, options, cancellationToken));

    public override Task<long> ReadToAsync(string key, long offset, long? length, Stream destination, ReadOptions? options, CancellationToken cancellationToken) =>
        RunAsync(() => Inner.ReadToAsync(key, offset, length, destination, options, cancellationToken));

    public override Task<ObjectInfo> PutAsync(string key, Stream content, PutOptions? options, CancellationToken cancellationToken) =>
        RunAsync(() => Inner.PutAsync(key, content, options, cancellationToken));

    public override Task<ObjectInfo> UploadAsync(string key, IUploadSource source, UploadOptions? options, CancellationToken cancellationToken) =>
        RunAsync(() => Inner.UploadAsync(key, source, options, cancellationToken));

    public override async Task<IPartUpload?> BeginPartUploadAsync(string key, PutOptions options, CancellationToken cancellationToken) =>
        await RunAsync(() => Inner.BeginPartUploadAsync(key, options, cancellationToken)) is { } upload ? new GatedPartUpload(upload, this) : null;

    public override Task AbortPartUploadAsync(string key, string uploadId, CancellationToken cancellationToken) =>
        RunAsync(async () =>
        {
            await Inner.AbortPartUploadAsync(key, uploadId, cancellationToken).ConfigureAwait(false);
            return true;
        });

    public override Task<ObjectInfo> CopyAsync(string sourceKey, string destinationKey, CopyOptions? options, CancellationToken cancellationToken) =>
        RunAsync(() => Inner.CopyAsync(sourceKey, destinationKey, options, cancellationToken));

    public override Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        RunAsync(async () =>
        {
            await Inner.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
            return true;
        });

    public override Task<IReadOnlyList<DeleteFailure>> DeleteManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken) =>
        RunAsync(() => Inner.DeleteManyAsync(keys, cancellationToken));

    // Never disposes the store: it outlives this engine generation.
    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task<T> RunAsync<T>(Func<Task<T>> call)
    {
        Check();
        var result = await call().ConfigureAwait(false);
        Check();
        return result;
    }

    private void Check()
    {
        if (_dead)
        {
            throw new ObjectStoreException(ObjectStoreErrorKind.Transient, "the process using the store has died (crash gate)", Description);
        }
    }

    private sealed class GatedPartUpload(IPartUpload inner, CrashGate gate) : PartUploadDecorator(inner)
    {
        public override Task UploadPartAsync(int partNumber, IUploadSource source, long offset, long length, CancellationToken cancellationToken) =>
            gate.RunAsync(async () =>
            {
                await Inner.UploadPartAsync(partNumber, source, offset, length, cancellationToken).ConfigureAwait(false);
                return true;
            });

        public override Task<ObjectInfo> CompleteAsync(long length, CancellationToken cancellationToken) =>
            gate.RunAsync(() => Inner.CompleteAsync(length, cancellationToken));

        public override Task AbortAsync(CancellationToken cancellationToken) =>
            gate.RunAsync(async () =>
            {
                await Inner.AbortAsync(cancellationToken).ConfigureAwait(false);
                return true;
            });
    }
}
