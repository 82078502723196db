using System.Text.Json.Serialization;
using BucketMount.Engine.Diagnostics;

namespace BucketMount.Cli.Control;

/// <summary>
/// One request on the control channel (a Unix socket per CLI mount, a named pipe on Windows): list, status, pause,
/// resume, flush, mount or unmount, optionally for one mount (its mount point, or a configured mount's name).
/// </summary>
internal sealed record ControlRequest(
    [property: JsonPropertyName("command")] string Command,
    [property: JsonPropertyName("force")] bool Force = false,
    [property: JsonPropertyName("mount")] string? Mount = null);

/// <summary>
/// What status shows of one mount. The remote is its URI, which never holds secrets (they are refused in URIs). The
/// service adds the configured mount's name, its state (Mounted, Retrying, Failed, Unmounted…) and its last error.
/// </summary>
internal sealed record MountStatus(
    [property: JsonPropertyName("remote")] string Remote,
    [property: JsonPropertyName("mountPoint")] string MountPoint,
    [property: JsonPropertyName("pid")] int Pid,
    [property: JsonPropertyName("uptimeSeconds")] double UptimeSeconds,
    [property: JsonPropertyName("cacheDirectory")] string CacheDirectory,
    [property: JsonPropertyName("uploadMBps")] double UploadMegabytesPerSecond,
    [property: JsonPropertyName("downloadMBps")] double DownloadMegabytesPerSecond,
    [property: JsonPropertyName("statistics")] EngineStatistics Statistics,
    [property: JsonPropertyName("uploadsPaused")] bool UploadsPaused = false,
    [property: JsonPropertyName("name")] string? Name = null,
    [property: JsonPropertyName("state")] string? State = null,
    [property: JsonPropertyName("error")] string? Error = null);

/// <summary>
/// One line of an answer: progress lines (Progress set) may come first, then the final reply. Status is the mount
/// asked about (or the only one); Mounts every mount the answering process serves.
/// </summary>
internal sealed record ControlReply(
    [property: JsonPropertyName("ok")] bool Ok,
    [property: JsonPropertyName("message")] string? Message = null,
    [property: JsonPropertyName("status")] MountStatus? Status = null,
    [property: JsonPropertyName("progress")] string? Progress = null,
    [property: JsonPropertyName("mounts")] IReadOnlyList<MountStatus>? Mounts = null);
