using BucketMount.Backends;
using BucketMount.Backends.Decorators;

namespace BucketMount.Engine.CrashChild;

/// <summary>A store whose uploads in parts never finish (until cancelled): a large file's upload that has not committed yet.</summary>
public sealed class HeldUploadsStore(IObjectStore inner) : ObjectStoreDecorator(inner)
{
    public override async Task<ObjectInfo> UploadAsync(string key, IUploadSource source, UploadOptions? options, CancellationToken cancellationToken)
    {
        await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        throw new InvalidOperationException("unreachable");
    }
}
