using BucketMount.Backends.Internal;
using Microsoft.Win32.SafeHandles;

namespace BucketMount.Backends.Local;

/// <summary>How the local store reaches its files: every path walked from the root, one folder at a time, no link followed.</summary>
public sealed partial class LocalFolderStore
{
    private static readonly string[] TempFolder = [LocalKeyPaths.SystemFolderName, LocalKeyPaths.TempFolderName];

    private KeyPath Resolve(string key)
    {
        MetadataRules.ValidateKey(key, Capabilities.MaxKeyBytes, Description);
        var segments = LocalKeyPaths.ToRelativePath(key, Description).Split('/');
        return new KeyPath(segments[..^1], segments[^1]);
    }

    private LocalDirectory OpenRoot() => LocalDirectory.OpenRoot(Root);

    /// <summary>Creates .bucketmount, its meta and tmp folders private, narrows them when wider, and removes a crashed run's temp files.</summary>
    private List<string> PrepareOwnArea()
    {
        return Guard(null, () =>
        {
            var narrowed = new List<string>();

            // The root itself is the user's choice of folder: made when missing, reached however its path leads.
            Directory.CreateDirectory(Root);
            using var root = OpenRoot();
            using var system = root.OpenDirectory(LocalKeyPaths.SystemFolderName, create: true, isPrivate: true)!;
            using var meta = system.OpenDirectory(LocalKeyPaths.MetaFolderName, create: true, isPrivate: true)!;
            using var temp = system.OpenDirectory(LocalKeyPaths.TempFolderName, create: true, isPrivate: true)!;
            foreach (var folder in new[] { system, meta, temp })
            {
                if (folder.MakePrivate())
                {
                    narrowed.Add(folder.FullPath);
                }
            }

            LocalTempFiles.DeleteStale(temp, TimeSpan.FromHours(1));
            return narrowed;
        });
    }

    /// <summary>The info of a key's data file and sidecar; null when there is no such file.</summary>
    private ObjectInfo? ReadInfo(LocalDirectory root, string key, KeyPath path)
    {
        var chain = root.OpenChain(path.Folders, create: false, isPrivate: false);
        if (chain is null)
        {
            return null;
        }

        try
        {
            var stat = (chain.Count == 0 ? root : chain[^1]).Stat(path.Name);
            return stat.Kind switch
            {
                LocalEntryKind.Link => throw new LocalLinkException(Path.Combine(Root, string.Join('/', path.Folders), path.Name)),
                LocalEntryKind.File => LocalObjectInfo.Create(key, stat.Size, stat.ModifiedUtc, ReadSidecar(root, path)),
                _ => null,
            };
        }
        finally
        {
            LocalDirectory.DisposeAll(chain);
        }
    }

    private static LocalSidecar? ReadSidecar(LocalDirectory root, KeyPath path)
    {
        var chain = root.OpenChain(path.MetaFolders, create: false, isPrivate: true);
        try
        {
            return chain is null ? null : LocalObjectInfo.ReadSidecar(chain[^1], path.Name);
        }
        finally
        {
            LocalDirectory.DisposeAll(chain);
        }
    }

    /// <summary>Opens a key's data file; its info comes from the open file, so it describes exactly the bytes read.</summary>
    private (SafeFileHandle Handle, ObjectInfo Info) OpenData(LocalDirectory root, string key, KeyPath path)
    {
        var chain = root.OpenChain(path.Folders, create: false, isPrivate: false)
            ?? throw new ObjectStoreException(ObjectStoreErrorKind.NotFound, "no object has this key.", Description, key);
        try
        {
            var folder = chain.Count == 0 ? root : chain[^1];
            if (folder.Stat(path.Name).Kind == LocalEntryKind.Directory)
            {
                throw new ObjectStoreException(ObjectStoreErrorKind.NotFound, "no object has this key.", Description, key);
            }

            var handle = folder.OpenRead(path.Name)
                ?? throw new ObjectStoreException(ObjectStoreErrorKind.NotFound, "no object has this key.", Description, key);
            var info = LocalObjectInfo.Create(key, RandomAccess.GetLength(handle), File.GetLastWriteTimeUtc(handle), ReadSidecar(root, path));
            return (handle, info);
        }
        finally
        {
            LocalDirectory.DisposeAll(chain);
        }
    }

    /// <summary>A new temp file in .bucketmount/tmp, held with its folder until the commit renames it into place.</summary>
    private PendingUpload StartUpload(string key, long length = 0) => Guard(key, () =>
    {
        var root = OpenRoot();
        List<LocalDirectory>? temp = null;
        try
        {
            temp = root.OpenChain(TempFolder, create: true, isPrivate: true)!;
            var name = LocalTempFiles.NewName();

            // A data file to be: the usual mode (umask), inside the private tmp folder until it is renamed.
            return new PendingUpload(root, temp, name, temp[^1].CreateNew(name, isPrivate: false, length));
        }
        catch
        {
            LocalDirectory.DisposeAll(temp);
            root.Dispose();
            throw;
        }
    });

    private async Task<ObjectInfo> CommitAsync(string key, KeyPath path, PendingUpload upload, string etag,
        IReadOnlyDictionary<string, string>? metadata, PutOptions? options, CancellationToken cancellationToken)
    {
        using (await _locks.AcquireAsync(key, cancellationToken).ConfigureAwait(false))
        {
            return Guard(key, () => CommitLocked(key, path, upload, etag, metadata, options));
        }
    }

    private ObjectInfo CommitLocked(string key, KeyPath path, PendingUpload upload, string etag, IReadOnlyDictionary<string, string>? metadata, PutOptions? options)
    {
        var root = upload.Root;
        Preconditions.CheckWrite(ReadInfo(root, key, path), options, Description, key);
        var written = upload.Folder.Stat(upload.Name);
        var sidecar = new LocalSidecar(etag, written.Size, written.ModifiedUtc.Ticks, options?.ContentType ?? "application/octet-stream",
            metadata is null ? [] : new Dictionary<string, string>(metadata));

        // A concurrent delete may prune a folder between opening it and the rename: open the path again.
        for (var attempt = 1; ; attempt++)
        {
            List<LocalDirectory>? data = null;
            List<LocalDirectory>? meta = null;
            try
            {
                data = OpenParentsForWrite(root, path, key);
                var folder = data.Count == 0 ? root : data[^1];
                switch (folder.Stat(path.Name).Kind)
                {
                    case LocalEntryKind.Directory:
                        throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument,
                            "other objects are stored below this key as a folder, and a local folder store cannot hold an object and a folder of the same name.", Description, key);
                    case LocalEntryKind.Link:
                        throw new LocalLinkException(folder.FullPath + "/" + path.Name);
                }

                meta = root.OpenChain(path.MetaFolders, create: true, isPrivate: true)!;
                LocalTempFiles.WriteDurably(upload.Folder, meta[^1], path.Name, sidecar.Serialize());
                upload.Folder.Rename(upload.Name, folder, path.Name);
                return ReadInfo(root, key, path)!;
            }
            catch (IOException e) when (e is DirectoryNotFoundException or FileNotFoundException && attempt < 5)
            {
            }
            finally
            {
                LocalDirectory.DisposeAll(data);
                LocalDirectory.DisposeAll(meta);
            }
        }
    }

    /// <summary>The folders above a data file, created where missing; names the clash when one of them is an object.</summary>
    private List<LocalDirectory> OpenParentsForWrite(LocalDirectory root, KeyPath path, string key)
    {
        try
        {
            return root.OpenChain(path.Folders, create: true, isPrivate: false)!;
        }
        catch (LocalNotAFolderException e)
        {
            var relative = Path.GetRelativePath(Root, e.FilePath).Replace('\\', '/');
            throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument,
                $"an object is stored at '{relative}', and a local folder store cannot also hold objects below it.", Description, key);
        }
    }

    /// <summary>Deletes a key's data file and sidecar (both paths resolved first, so a link in either refuses the delete whole), then prunes empty folders.</summary>
    private void DeleteLocked(KeyPath path)
    {
        using var root = OpenRoot();
        var data = root.OpenChain(path.Folders, create: false, isPrivate: false);
        var meta = root.OpenChain(path.MetaFolders, create: false, isPrivate: true);
        try
        {
            var folder = data is null ? null : data.Count == 0 ? root : data[^1];
            var kind = folder?.Stat(path.Name).Kind ?? LocalEntryKind.Missing;
            if (kind == LocalEntryKind.Link)
            {
                throw new LocalLinkException(folder!.FullPath + "/" + path.Name);
            }

            if (kind is LocalEntryKind.File or LocalEntryKind.Other)
            {
                folder!.Delete(path.Name);
            }

            meta?[^1].Delete(path.Name);
            if (data is not null)
            {
                LocalFolders.PruneEmpty(root, data, path.Folders, keep: 0);
            }

            if (meta is not null)
            {
                LocalFolders.PruneEmpty(root, meta, path.MetaFolders, keep: 2);
            }
        }
        finally
        {
            LocalDirectory.DisposeAll(data);
            LocalDirectory.DisposeAll(meta);
        }
    }

    private T Guard<T>(string? key, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw LocalErrors.From(e, Description, key);
        }
    }

    private void Guard(string? key, Action action) => Guard(key, () =>
    {
        action();
        return true;
    });

    /// <summary>A key as the folders above its file and the file's name, escaped (<see cref="LocalKeyPaths"/>).</summary>
    private readonly record struct KeyPath(string[] Folders, string Name)
    {
        public string[] MetaFolders => [LocalKeyPaths.SystemFolderName, LocalKeyPaths.MetaFolderName, .. Folders];
    }

    /// <summary>An upload's temp file and the folders it was created in, held until the commit; disposing removes what was not committed.</summary>
    private sealed class PendingUpload(LocalDirectory root, List<LocalDirectory> temp, string name, SafeFileHandle handle) : IDisposable
    {
        public LocalDirectory Root => root;

        public LocalDirectory Folder => temp[^1];

        public string Name => name;

        public SafeFileHandle Handle => handle;

        public void Dispose()
        {
            handle.Dispose();
            LocalTempFiles.TryDelete(Folder, name);
            LocalDirectory.DisposeAll(temp);
            root.Dispose();
        }
    }
}
