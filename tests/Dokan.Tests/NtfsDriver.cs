using BucketMount.Backends;
using BucketMount.Backends.Memory;
using BucketMount.Dokan.Ntfs;
using BucketMount.Engine;
using BucketMount.Engine.Namespace;
using Microsoft.Extensions.Logging.Abstractions;
using static BucketMount.Dokan.Ntfs.NtfsConstants;

namespace BucketMount.Dokan.Tests;

/// <summary>
/// Plays dokan2's part for the managed tests: opens through ZwCreateFile, then Cleanup and CloseFile, on the NTFS
/// translation over a real engine (case-insensitive, Windows names, as the Dokan host configures it). As the driver
/// does, a test passes DeletePending to the last Cleanup of an object marked for deletion.
/// </summary>
internal sealed class NtfsDriver : IAsyncDisposable
{
    public const uint GenericReadAccess = 0x120089;
    public const uint GenericWriteAccess = 0x120116;
    public const uint ShareAll = ShareRead | ShareWrite | ShareDelete;

    private readonly string _cache = Directory.CreateTempSubdirectory("bucketmount-ntfs-").FullName;

    public NtfsDriver(IObjectStore? store = null, TimeSpan? writeBackDelay = null, bool writeMetadataIndex = true)
    {
        Store = store ?? new MemoryObjectStore();
        WriteBackDelay = writeBackDelay ?? TimeSpan.Zero;
        _writeMetadataIndex = writeMetadataIndex;
        Start();
    }

    /// <summary>False for tests that count the document's own requests (the index is DirectoryIndexTests' subject).</summary>
    private readonly bool _writeMetadataIndex;

    public IObjectStore Store { get; }

    public TimeSpan WriteBackDelay { get; }

    public MountEngine Engine { get; private set; } = null!;

    public NtfsFileSystem Fs { get; private set; } = null!;

    public static CancellationToken Token => CancellationToken.None;

    /// <summary>A new engine on the same store with an empty cache: what another machine would see.</summary>
    public async Task RemountAsync()
    {
        await Engine.ShutdownAsync(null, Token);
        Directory.Delete(_cache, recursive: true);
        Start();
    }

    public async Task<(int Status, NtfsFileInfo Info)> OpenAsync(string name, uint access, CreateDisposition disposition, uint options = 0, uint share = ShareAll, uint attributes = 0)
    {
        var info = new NtfsFileInfo { IsDirectory = (options & DirectoryFile) != 0 };
        var status = await Fs.CreateFileAsync(name, access, attributes, share, disposition, options, info, Token);
        return (status, info);
    }

    /// <summary>An open that must succeed (SUCCESS, or COLLISION for the "opened existing" dispositions).</summary>
    public async Task<NtfsFileInfo> MustOpenAsync(string name, uint access, CreateDisposition disposition, uint options = 0, uint share = ShareAll, int expected = NtStatus.Success, uint attributes = 0)
    {
        var (status, info) = await OpenAsync(name, access, disposition, options, share, attributes);
        Assert.AreEqual(NtStatus.Name(expected), NtStatus.Name(status), $"opening {name}");
        return info;
    }

    public async Task CloseAsync(NtfsFileInfo info, bool deletePending = false)
    {
        info.DeletePending = deletePending;
        await Fs.CleanupAsync(info, Token);
        await Fs.CloseFileAsync(info, Token);
    }

    public async Task CreateFileAsync(string name, byte[] data)
    {
        var info = await MustOpenAsync(name, GenericWriteAccess, CreateDisposition.Create, NonDirectoryFile);
        Assert.AreEqual(NtStatus.Success, (await Fs.WriteFileAsync(info, 0, data, Token)).Status);
        await CloseAsync(info);
    }

    public async Task<byte[]> ReadAllAsync(string name)
    {
        var info = await MustOpenAsync(name, GenericReadAccess, CreateDisposition.Open, NonDirectoryFile);
        var (status, information) = await Fs.GetFileInformationAsync(info, Token);
        Assert.AreEqual(NtStatus.Success, status);
        var data = new byte[information!.Size];
        var total = 0;
        while (total < data.Length)
        {
            var (readStatus, read) = await Fs.ReadFileAsync(info, total, data.AsMemory(total), Token);
            Assert.AreEqual(NtStatus.Success, readStatus);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        await CloseAsync(info);
        Assert.AreEqual(data.Length, total, $"bytes read from {name}");
        return data;
    }

    public async Task<NtfsFileInformation> InformationAsync(string name)
    {
        var info = await MustOpenAsync(name, ReadAttributes, CreateDisposition.Open);
        var (status, information) = await Fs.GetFileInformationAsync(info, Token);
        await CloseAsync(info);
        Assert.AreEqual(NtStatus.Success, status);
        return information!;
    }

    public async Task<int> StatusOfOpenAsync(string name)
    {
        var (status, info) = await OpenAsync(name, ReadAttributes, CreateDisposition.Open);
        if (info.Handle is not null)
        {
            await CloseAsync(info);
        }

        return status;
    }

    public async ValueTask DisposeAsync()
    {
        await Engine.ShutdownAsync(null, Token);
        Directory.Delete(_cache, recursive: true);
    }

    private void Start()
    {
        Directory.CreateDirectory(_cache);
        Engine = MountEngine.Start(Store, new EngineOptions
        {
            CacheDirectory = _cache,
            WriteBackDelay = WriteBackDelay,
            CaseInsensitive = true,
            MemoryCacheBytes = 32L << 20,
            DiskCacheBytes = 64L << 20,
            WriteMetadataIndex = _writeMetadataIndex,
        }, NamePlatform.Windows);
        Fs = new NtfsFileSystem(Engine, new NtfsVolumeOptions("bucket", 0x1234ABCD), NullLogger.Instance);
    }
}
