using System.Buffers;
using System.Runtime.CompilerServices;
using BucketMount.Backends.Internal;
using Microsoft.Win32.SafeHandles;

namespace BucketMount.Backends.Local;

/// <summary>
/// The embedded default store: objects as plain files under a root folder, so a user can browse them.
/// Writes are durable (temp file, fsync, rename); ETag, content type and metadata live in a sidecar under
/// <c>.bucketmount/meta</c>. Keys map to paths through <see cref="LocalKeyPaths"/>, so no key escapes the root,
/// and symbolic links inside the root are never followed. One limit real stores do not have: a key cannot be
/// both an object and a folder of other objects ("a" and "a/b"); such a put fails with InvalidArgument.
/// </summary>
public sealed class LocalFolderStore : IObjectStore
{
    private const int CopyChunk = 256 * 1024;
    private readonly KeyLocks _locks = new();
    private readonly string _tempFolder;
    private readonly string _metaFolder;

    public LocalFolderStore(string root)
    {
        if (string.IsNullOrWhiteSpace(root) || !Path.IsPathFullyQualified(root))
        {
            throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument,
                $"the local store's folder '{root}' is not an absolute path; give a full path such as file:///var/lib/bucket.");
        }

        Root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        Description = "file://" + Root.Replace('\\', '/');
        var system = Path.Combine(Root, LocalKeyPaths.SystemFolderName);
        _tempFolder = Path.Combine(system, "tmp");
        _metaFolder = Path.Combine(system, "meta");
        try
        {
            Directory.CreateDirectory(_tempFolder);
            Directory.CreateDirectory(_metaFolder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw LocalErrors.From(e, Description, null);
        }

        LocalTempFiles.DeleteStale(_tempFolder, TimeSpan.FromHours(1));
    }

    public string Root { get; }

    public StoreCapabilities Capabilities { get; } = new()
    {
        ConditionalWrites = true,
        ConditionalReads = true,
        ListingIncludesMetadata = true,
        MaxKeyBytes = 1024,
        MaxBatchDelete = 1,
        OnLocalDisk = true,
    };

    public StoreCounters Counters { get; } = new();

    public string Description { get; }

    public async Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken)
    {
        var paths = Resolve(key);
        Counters.CountRequest(RequestKind.Head);
        using (await _locks.AcquireAsync(key, cancellationToken).ConfigureAwait(false))
        {
            return ReadInfoLocked(key, paths);
        }
    }

    public async IAsyncEnumerable<ListEntry> ListAsync(string prefix, string? delimiter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var listing = new LocalListing(Root, _metaFolder, Description);
        var entries = await Task.Run(() => listing.List(prefix, delimiter, cancellationToken), cancellationToken).ConfigureAwait(false);
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
        var paths = Resolve(key);
        var metadata = MetadataRules.Validate(options?.Metadata, Description, key);
        Counters.CountRequest(RequestKind.Put);
        var temp = LocalTempFiles.NewPath(_tempFolder);
        try
        {
            string md5;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
            {
                (var length, md5) = await StreamCopy.CopyWithMd5Async(content, file, cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
                Counters.AddUploaded(length);
            }

            return await CommitAsync(key, paths, temp, $"\"{md5}\"", metadata, options, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            LocalTempFiles.TryDelete(temp);
        }
    }

    public async Task<ObjectInfo> UploadAsync(string key, IUploadSource source, UploadOptions? options, CancellationToken cancellationToken)
    {
        options ??= new UploadOptions();
        var paths = Resolve(key);
        var metadata = MetadataRules.Validate(options.Metadata, Description, key);
        var temp = LocalTempFiles.NewPath(_tempFolder);
        try
        {
            Counters.CountRequest(RequestKind.Multipart);
            int partCount;
            using (var handle = File.OpenHandle(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.Asynchronous, source.Length))
            {
                partCount = await LocalParallelWriter.WriteAsync(handle, source, options, Counters, cancellationToken).ConfigureAwait(false);
                RandomAccess.FlushToDisk(handle);
            }

            Counters.CountRequest(RequestKind.Multipart);
            var etag = $"\"{Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())}-{partCount}\"";
            return await CommitAsync(key, paths, temp, etag, metadata, options, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            LocalTempFiles.TryDelete(temp);
        }
    }

    public async Task<ObjectInfo> CopyAsync(string sourceKey, string destinationKey, CopyOptions? options, CancellationToken cancellationToken)
    {
        var sourcePaths = Resolve(sourceKey);
        var destinationPaths = Resolve(destinationKey);
        var replace = MetadataRules.Validate(options?.ReplaceMetadata, Description, destinationKey);
        Counters.CountRequest(RequestKind.Copy);
        var temp = LocalTempFiles.NewPath(_tempFolder);
        try
        {
            ObjectInfo source;
            using (await _locks.AcquireAsync(sourceKey, cancellationToken).ConfigureAwait(false))
            {
                source = ReadInfoLocked(sourceKey, sourcePaths)
                    ?? throw new ObjectStoreException(ObjectStoreErrorKind.NotFound, "no object has this key (copy source).", Description, sourceKey);
                Preconditions.CheckRead(source, options?.SourceIfMatch, Description);

                // Copied under the source's lock so the bytes match the ETag checked above.
                File.Copy(sourcePaths.Data, temp);
            }

            using (var handle = File.OpenHandle(temp, FileMode.Open, FileAccess.ReadWrite))
            {
                RandomAccess.FlushToDisk(handle);
            }

            var put = new PutOptions { ContentType = options?.ContentType ?? source.ContentType };
            return await CommitAsync(destinationKey, destinationPaths, temp, source.ETag, replace ?? source.Metadata, put, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw LocalErrors.From(e, Description, sourceKey);
        }
        finally
        {
            LocalTempFiles.TryDelete(temp);
        }
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var paths = Resolve(key);
        Counters.CountRequest(RequestKind.Delete);
        using (await _locks.AcquireAsync(key, cancellationToken).ConfigureAwait(false))
        {
            try
            {
                if (File.Exists(paths.Data))
                {
                    File.Delete(paths.Data);
                }

                File.Delete(paths.Meta);
            }
            catch (DirectoryNotFoundException)
            {
                // Nothing there: deleting a missing key succeeds.
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw LocalErrors.From(e, Description, key);
            }
        }

        LocalFolders.PruneEmptyParents(paths.Data, Root);
        LocalFolders.PruneEmptyParents(paths.Meta, _metaFolder);
    }

    public Task<IReadOnlyList<DeleteFailure>> DeleteManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken) =>
        Transfers.DeleteEachAsync(this, keys, parallelism: 1, cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public override string ToString() => Description;

    private LocalPaths Resolve(string key)
    {
        MetadataRules.ValidateKey(key, Capabilities.MaxKeyBytes, Description);
        var relative = LocalKeyPaths.ToRelativePath(key, Description);
        var paths = new LocalPaths(Path.Combine(Root, relative), Path.Combine(_metaFolder, relative));
        LocalFolders.RejectLinks(Root, relative, Description, key);
        return paths;
    }

    private async Task<SafeFileHandle> OpenForReadAsync(string key, ReadOptions? options, CancellationToken cancellationToken)
    {
        var paths = Resolve(key);
        Counters.CountRequest(RequestKind.Get);
        using (await _locks.AcquireAsync(key, cancellationToken).ConfigureAwait(false))
        {
            var info = ReadInfoLocked(key, paths) ?? throw new ObjectStoreException(ObjectStoreErrorKind.NotFound, "no object has this key.", Description, key);
            Preconditions.CheckRead(info, options?.IfMatch, Description);
            try
            {
                return File.OpenHandle(paths.Data, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.Asynchronous);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw LocalErrors.From(e, Description, key);
            }
        }
    }

    private ObjectInfo? ReadInfoLocked(string key, LocalPaths paths)
    {
        var file = new FileInfo(paths.Data);
        if (!file.Exists)
        {
            return null;
        }

        return LocalObjectInfo.Read(file, paths.Meta, key, withMetadata: true);
    }

    private async Task<ObjectInfo> CommitAsync(string key, LocalPaths paths, string tempData, string etag,
        IReadOnlyDictionary<string, string>? metadata, PutOptions? options, CancellationToken cancellationToken)
    {
        using (await _locks.AcquireAsync(key, cancellationToken).ConfigureAwait(false))
        {
            Preconditions.CheckWrite(ReadInfoLocked(key, paths), options, Description, key);

            try
            {
                var info = new FileInfo(tempData);
                var sidecar = new LocalSidecar(etag, info.Length, info.LastWriteTimeUtc.Ticks, options?.ContentType ?? "application/octet-stream",
                    metadata is null ? [] : new Dictionary<string, string>(metadata));
                // A concurrent delete may prune a parent folder between creating it and the rename: make it again.
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        LocalFolders.PrepareParents(paths.Data, Root, Description, key);
                        Directory.CreateDirectory(Path.GetDirectoryName(paths.Meta)!);
                        LocalTempFiles.WriteDurably(paths.Meta, sidecar.Serialize(), _tempFolder);
                        File.Move(tempData, paths.Data, overwrite: true);
                        return ReadInfoLocked(key, paths)!;
                    }
                    catch (DirectoryNotFoundException) when (attempt < 5)
                    {
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw LocalErrors.From(e, Description, key);
            }
        }
    }

    private readonly record struct LocalPaths(string Data, string Meta);
}
