using System.Collections.Concurrent;
using BucketMount.Dokan.Ntfs;
using Microsoft.Extensions.Logging;

namespace BucketMount.Dokan.Interop;

/// <summary>
/// The managed object behind one mount's DOKAN_OPTIONS.GlobalContext: the NTFS translation, the table from
/// DOKAN_FILE_INFO.Context cookies to handles (a number, never a GCHandle: a stray cookie from native code
/// then finds nothing instead of crashing), and the Mounted/Unmounted notifications.
/// </summary>
internal sealed class DokanDispatcher(NtfsFileSystem fileSystem, ILogger logger)
{
    private readonly ConcurrentDictionary<ulong, NtfsHandle> _handles = new();
    private readonly TaskCompletionSource<string> _mounted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _nextCookie;

    public NtfsFileSystem FileSystem => fileSystem;

    public ILogger Logger => logger;

    /// <summary>Completes with the mount point the library reports (the letter may differ from the one asked for).</summary>
    public Task<string> Mounted => _mounted.Task;

    public int HandleCount => _handles.Count;

    public void OnMounted(string mountPoint) => _mounted.TrySetResult(mountPoint);

    public ulong Add(NtfsHandle handle)
    {
        var cookie = (ulong)Interlocked.Increment(ref _nextCookie);
        _handles[cookie] = handle;
        return cookie;
    }

    public NtfsHandle? Find(ulong cookie) => cookie != 0 && _handles.TryGetValue(cookie, out var handle) ? handle : null;

    public void Remove(ulong cookie) => _handles.TryRemove(cookie, out _);

    /// <summary>After unmount: closes what the library never closed, so engine handles do not leak.</summary>
    public async Task ReleaseAllAsync()
    {
        foreach (var cookie in _handles.Keys)
        {
            if (_handles.TryRemove(cookie, out var handle))
            {
                var info = new NtfsFileInfo { Handle = handle };
                await fileSystem.CleanupAsync(info, CancellationToken.None).ConfigureAwait(false);
                await fileSystem.CloseFileAsync(info, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }
}
