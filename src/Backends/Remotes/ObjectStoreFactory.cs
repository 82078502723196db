using BucketMount.Backends.Decorators;
using BucketMount.Backends.Local;
using BucketMount.Backends.Memory;
using Microsoft.Extensions.Logging;

namespace BucketMount.Backends.Remotes;

/// <summary>
/// Builds the store a remote names, wrapped as every caller needs it: the backend, confined to the remote's
/// prefix, behind bounded retries. Credentials come from <see cref="RemoteCredentials"/> (environment or config),
/// never from the URI.
/// </summary>
public static partial class ObjectStoreFactory
{
    public static IObjectStore Create(RemoteUri remote, RemoteCredentials? credentials = null, RetryPolicy? retry = null, ILogger? logger = null)
    {
        credentials ??= RemoteCredentials.FromEnvironment();
        var backend = CreateBackend(remote, credentials);
        if (logger?.IsEnabled(LogLevel.Debug) == true)
        {
            // Beneath the prefix and the retries: the store's own keys, one line per try.
            backend = new RequestLoggingObjectStore(backend, logger);
        }

        IObjectStore store = remote.Prefix.Length == 0 ? backend : new PrefixedObjectStore(backend, remote.Prefix);
        return new RetryingObjectStore(store, retry, logger);
    }

    /// <summary>The embedded default: a local-folder store in the user's data directory.</summary>
    public static RemoteUri DefaultRemote()
    {
        var folder = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "bucketmount", "store");
        return new RemoteUri { Kind = RemoteKind.File, LocalPath = folder };
    }

    private static IObjectStore CreateBackend(RemoteUri remote, RemoteCredentials credentials) => remote.Kind switch
    {
        RemoteKind.File => new LocalFolderStore(remote.LocalPath!),
        RemoteKind.Memory => MemoryStores.GetOrAdd(remote.Bucket!),
        RemoteKind.S3 or RemoteKind.R2 or RemoteKind.Gcs => CreateS3(remote, credentials),
        RemoteKind.Azure => CreateAzure(remote, credentials),
        _ => throw new ObjectStoreException(ObjectStoreErrorKind.NotSupported, $"no store for remotes of kind {remote.Kind}."),
    };

    /// <summary>Named memory stores live as long as the process, so two opens of mem://x see the same objects.</summary>
    private static class MemoryStores
    {
        private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, MemoryObjectStore> Stores = new(StringComparer.Ordinal);

        public static IObjectStore GetOrAdd(string name) => new NonDisposing(Stores.GetOrAdd(name, static n => new MemoryObjectStore(n)));

        private sealed class NonDisposing(IObjectStore inner) : ObjectStoreDecorator(inner)
        {
            public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
