using System.Buffers;
using System.Runtime.CompilerServices;
using BucketMount.Backends.Internal;
using Microsoft.Win32.SafeHandles;

namespace BucketMount.Backends.Local;

/// <summary>
/// The embedded default store: objects as plain files under a root folder, so a user can browse them.
/// Writes are durable (temp file, fsync, rename); ETag, content type and metadata live in a sidecar under
/// <c>.bucketmount/meta</c>. Keys map to paths through <see cref="LocalKeyPaths"/>, so no key escapes the root,
/// and every path (data, sidecar, temp file) is resolved one folder at a time from the root at the moment of
/// use without following links (<see cref="LocalDirectory"/>): a link met on the way is refused, and a folder
/// swapped for a link while an upload runs cannot redirect it. The store's own area is private (0700, files
/// 0600). One limit real stores do not have: a key cannot be both an object and a folder of other objects
/// ("a" and "a/b"); such a put fails with InvalidArgument.
/// </summary>
public sealed partial class LocalFolderStore : IObjectStore
{
    private const int CopyChunk = 256 * 1024;
    private readonly KeyLocks _locks = new();

    public LocalFolderStore(string root)
    {
        if (string.IsNullOrWhiteSpace(root) || !Path.IsPathFullyQualified(root))
        {
            throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument,
                $"the local store's folder '{root}' is not an absolute path; give a full path such as file:///var/lib/bucket.");
        }

        Root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        Description = "file://" + Root.Replace('\\', '/');
        NarrowedFolders = PrepareOwnArea();
    }

    public string Root { get; }

    /// <summary>Folders of the store's own area that were readable by others and made private (0700) on opening; the caller logs them.</summary>
    public IReadOnlyList<string> NarrowedFolders { get; }

    public StoreCapabilities Capabilities { get; } = new()
    {
        ConditionalWrites = true,
        ConditionalReads = true,
        ListingIncludesMetadata = true,
        MaxKeyBytes = 1024,
        MaxBatchDelete = 1,
        OnLocalDisk = true,
        CaseInsensitiveKeys = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS(),
    };

    public StoreCounters Counters { get; } = new();

    public string Description { get; }

    public async Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken)
    {
        var path = Resolve(key);
        Counters.CountRequest(RequestKind.Head);
        using (await _locks.AcquireAsync(key, cancellationToken).ConfigureAwait(false))
        {
            return Guard(key, () =>
            {
                using var root = OpenRoot();
                return ReadInfo(root, key, path);
            });
        }
    }

    public async IAsyncEnumerable<ListEntry> ListAsync(string prefix, string? delimiter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var entries = await Task.Run(() => Guard(null, () =>
        {
            using var root = OpenRoot();
            return new LocalListing(root, Description).List(prefix, delimiter, cancellationToken);
        }), cancellationToken).ConfigureAwait(false);
        foreach (var entry in ListingPages.Count(entries, Counters))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return entry;
        }
    }

    public async Task<int> ReadAsync(string key, long offset, Memory<byte> buffer, ReadOptions? options, CancellationToken cancellationToken)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        using var handle = await OpenForReadAsync(key, options, cancellationToken).ConfigureAwait(false);
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await RandomAccess.ReadAsync(handle, buffer[total..], offset + total, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        Counters.AddDownloaded(total);
        return total;
    }

    public async Task<long> ReadToAsync(string key, long offset, long? length, Stream destination, ReadOptions? options, CancellationToken cancellationToken)
    {
        using var handle = await OpenForReadAsync(key, options, cancellationToken).ConfigureAwait(false);
        var remaining = length ?? long.MaxValue;
        var buffer = ArrayPool<byte>.Shared.Rent(CopyChunk);
        try
        {
            long total = 0;
            while (remaining > 0)
            {
                var read = await RandomAccess.ReadAsync(handle, buffer.AsMemory(0, (int)Math.Min(CopyChunk, remaining)), offset + total, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                total += read;
                remaining -= read;
            }

            Counters.AddDownloaded(total);
            return total;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public async Task<ObjectInfo> PutAsync(string key, Stream content, PutOptions? options, CancellationToken cancellationToken)
    {
        var path = Resolve(key);
        var metadata = MetadataRules.Validate(options?.Metadata, Description, key);
        Counters.CountRequest(RequestKind.Put);
        using var upload = StartUpload(key);
        string md5;
        await using (var file = new FileStream(upload.Handle, FileAccess.Write, 1))
        {
            (var length, md5) = await StreamCopy.CopyWithMd5Async(content, file, cancellationToken).ConfigureAwait(false);
            file.Flush(flushToDisk: true);
            Counters.AddUploaded(length);
        }

        return await CommitAsync(key, path, upload, $"\"{md5}\"", metadata, options, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ObjectInfo> UploadAsync(string key, IUploadSource source, UploadOptions? options, CancellationToken cancellationToken)
    {
        options ??= new UploadOptions();
        var path = Resolve(key);
        var metadata = MetadataRules.Validate(options.Metadata, Description, key);
        using var upload = StartUpload(key, source.Length);
        Counters.CountRequest(RequestKind.Multipart);
        var partCount = await LocalParallelWriter.WriteAsync(upload.Handle, source, options, Counters, cancellationToken).ConfigureAwait(false);
        Guard(key, () => RandomAccess.FlushToDisk(upload.Handle));

        // Closed before the rename, as Windows cannot rename a file open without sharing.
        upload.Handle.Dispose();

        Counters.CountRequest(RequestKind.Multipart);
        var etag = $"\"{Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())}-{partCount}\"";
        return await CommitAsync(key, path, upload, etag, metadata, options, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ObjectInfo> CopyAsync(string sourceKey, string destinationKey, CopyOptions? options, CancellationToken cancellationToken)
    {
        var sourcePath = Resolve(sourceKey);
        var destinationPath = Resolve(destinationKey);
        var replace = MetadataRules.Validate(options?.ReplaceMetadata, Description, destinationKey);
        Counters.CountRequest(RequestKind.Copy);
        using var upload = StartUpload(destinationKey);
        ObjectInfo source;
        using (await _locks.AcquireAsync(sourceKey, cancellationToken).ConfigureAwait(false))
        {
            // Copied under the source's lock so the bytes match the ETag checked.
            source = await Task.Run(() => Guard(sourceKey, () => CopyLocked(sourceKey, sourcePath, options, upload)), cancellationToken).ConfigureAwait(false);
        }

        var put = new PutOptions { ContentType = options?.ContentType ?? source.ContentType };
        return await CommitAsync(destinationKey, destinationPath, upload, source.ETag, replace ?? source.Metadata, put, cancellationToken).ConfigureAwait(false);
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var path = Resolve(key);
        Counters.CountRequest(RequestKind.Delete);
        using (await _locks.AcquireAsync(key, cancellationToken).ConfigureAwait(false))
        {
            Guard(key, () => DeleteLocked(path));
        }
    }

    public Task<IReadOnlyList<DeleteFailure>> DeleteManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken) =>
        Transfers.DeleteEachAsync(this, keys, parallelism: 1, cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public override string ToString() => Description;

    private async Task<SafeFileHandle> OpenForReadAsync(string key, ReadOptions? options, CancellationToken cancellationToken)
    {
        var path = Resolve(key);
        Counters.CountRequest(RequestKind.Get);
        using (await _locks.AcquireAsync(key, cancellationToken).ConfigureAwait(false))
        {
            return Guard(key, () =>
            {
                using var root = OpenRoot();
                var (handle, info) = OpenData(root, key, path);
                try
                {
                    Preconditions.CheckRead(info, options?.IfMatch, Description);
                    return handle;
                }
                catch
                {
                    handle.Dispose();
                    throw;
                }
            });
        }
    }

    private ObjectInfo CopyLocked(string sourceKey, KeyPath sourcePath, CopyOptions? options, PendingUpload upload)
    {
        using var root = OpenRoot();
        var (handle, source) = OpenData(root, sourceKey, sourcePath);
        using (handle)
        {
            Preconditions.CheckRead(source, options?.SourceIfMatch, Description);
            using var from = new FileStream(handle, FileAccess.Read, 1);
            using var to = new FileStream(upload.Handle, FileAccess.Write, 1);
            from.CopyTo(to, CopyChunk);
            to.Flush(flushToDisk: true);
        }

        return source;
    }
}
