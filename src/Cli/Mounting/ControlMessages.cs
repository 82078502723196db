using System.Text.Json.Serialization;
using BucketMount.Engine.Diagnostics;

namespace BucketMount.Cli.Mounting;

internal sealed record ControlRequest(
    [property: JsonPropertyName("command")] string Command,
    [property: JsonPropertyName("force")] bool Force = false);

/// <summary>What status shows of one mount. The remote is its URI, which never holds secrets (they are refused in URIs).</summary>
internal sealed record MountStatus(
    [property: JsonPropertyName("remote")] string Remote,
    [property: JsonPropertyName("mountPoint")] string MountPoint,
    [property: JsonPropertyName("pid")] int Pid,
    [property: JsonPropertyName("uptimeSeconds")] double UptimeSeconds,
    [property: JsonPropertyName("cacheDirectory")] string CacheDirectory,
    [property: JsonPropertyName("uploadMBps")] double UploadMegabytesPerSecond,
    [property: JsonPropertyName("downloadMBps")] double DownloadMegabytesPerSecond,
    [property: JsonPropertyName("statistics")] EngineStatistics Statistics);

internal sealed record ControlReply(
    [property: JsonPropertyName("ok")] bool Ok,
    [property: JsonPropertyName("message")] string? Message = null,
    [property: JsonPropertyName("status")] MountStatus? Status = null,
    [property: JsonPropertyName("progress")] string? Progress = null);
