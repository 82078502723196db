using System.CommandLine;
using BucketMount.Backends.Remotes;
using BucketMount.Engine;
using BucketMount.Engine.Hosting;
using BucketMount.Dokan;
using BucketMount.Fuse;
using BucketMount.Hosting;
using Microsoft.Extensions.Logging;

namespace BucketMount.Cli.Commands;

/// <summary>The mount command's options, with their defaults in one place, turned into engine and host options.</summary>
internal sealed class MountSettings
{
    /// <summary>The engine's own defaults: each option shows and uses what EngineOptions declares, declared once there.</summary>
    private static readonly EngineOptions Defaults = new() { CacheDirectory = "" };

    private static readonly FuseMountOptions FuseDefaults = new();

    private static readonly DokanMountOptions DokanDefaults = new();

    public Option<string?> CacheDir { get; } = new("--cache-dir") { Description = "Where staging files, the block cache and the upload journal live (default: under ~/.cache/bucketmount, one per remote)." };

    public Option<long> MemoryCacheMiB { get; } = new("--memory-cache-mib") { Description = "Memory for cached file data.", DefaultValueFactory = _ => Defaults.MemoryCacheBytes / EngineOptions.MiB };

    public Option<long> DiskCacheMiB { get; } = new("--disk-cache-mib") { Description = "Disk for cached clean file data.", DefaultValueFactory = _ => Defaults.DiskCacheBytes / EngineOptions.MiB };

    public Option<long> MaxDirtyMiB { get; } = new(EngineOptions.MaxDirtyOption)
    {
        Description = "Most written data not yet uploaded the cache may hold; past it, writes fail with \"no space left\" until uploads catch up.",
        DefaultValueFactory = _ => EngineOptions.DefaultMaxDirtyBytes / EngineOptions.MiB,
        CustomParser = ParseMaxDirtyMiB,
    };

    public Option<int> BlockSizeKiB { get; } = new("--block-size-kib") { Description = "Size of one ranged read and cache block (power of two).", DefaultValueFactory = _ => Defaults.BlockSize / 1024 };

    public Option<long> ReadAheadMiB { get; } = new("--read-ahead-mib") { Description = "Largest read-ahead of a sequential reader.", DefaultValueFactory = _ => Defaults.MaxReadAhead / EngineOptions.MiB };

    public Option<bool> ParallelReadAhead { get; } = new("--parallel-read-ahead") { Description = "Read ahead with parallel 16 MiB ranged GETs instead of one streaming GET per sequential reader (more requests; faster where one connection is slow)." };

    public Option<long> WholeFileReadMiB { get; } = new("--whole-file-read-mib") { Description = "A file up to this size read at random (four cache misses) is fetched whole by one GET; 0: off.", DefaultValueFactory = _ => Defaults.WholeFileReadBytes / EngineOptions.MiB };

    public Option<double> MetadataTtlSeconds { get; } = new("--metadata-ttl") { Description = "Seconds a listing or lookup is trusted before asking the store again.", DefaultValueFactory = _ => Defaults.MetadataTtl.TotalSeconds };

    public Option<double> WriteBackDelaySeconds { get; } = new("--write-back-delay") { Description = "Seconds after the last close before a changed file of up to one part is uploaded (larger files start at once).", DefaultValueFactory = _ => Defaults.WriteBackDelay.TotalSeconds };

    public Option<ConflictPolicy> Conflict { get; } = new("--conflict") { Description = "When the object changed in the store since it was opened: LastWriterWins or KeepBoth.", DefaultValueFactory = _ => Defaults.ConflictPolicy };

    public Option<bool> UploadAfterClose { get; } = new("--upload-after-close") { Description = "Send every file only after its last close, never part by part while it is written (a streamed file keeps the modification time it had when its first parts went)." };

    public Option<bool> ExactMtimes { get; } = new("--exact-mtimes") { Description = "Accepted for old command lines; listings are always exact now (see --no-metadata-index)." };

    public Option<bool> NoMetadataIndex { get; } = new("--no-metadata-index") { Description = "Write no per-directory metadata index objects (.bucketmount-index); listings stay exact but pay a HEAD per file no index describes." };

    public Option<bool> ReadOnly { get; } = new("--read-only") { Description = "Refuse every change." };

    public Option<bool> AllowOther { get; } = new("--allow-other") { Description = "Let other users see the mount (kernel permission checks are then on)." };

    public Option<uint?> Uid { get; } = new("--uid") { Description = "Owner shown for objects without one (default: you)." };

    public Option<uint?> Gid { get; } = new("--gid") { Description = "Group shown for objects without one (default: yours)." };

    public Option<string> Umask { get; } = new("--umask") { Description = "Octal bits removed from default modes 0777/0666.", DefaultValueFactory = _ => "0" + Convert.ToString(FuseDefaults.Umask, 8) };

    public Option<Microsoft.Extensions.Logging.LogLevel> LogLevel { get; } = new("--log-level") { Description = "Trace, Debug, Information, Warning, Error or None.", DefaultValueFactory = _ => Microsoft.Extensions.Logging.LogLevel.Warning };

    public Option<string?> LogFile { get; } = new("--log-file") { Description = "Append log lines to this file instead of standard error." };

    public Option<MountHostKind?> Host { get; } = new("--host") { Description = "Fuse (Linux) or Dokan (Windows); default: the one for this system." };

    public Option<string> VolumeLabel { get; } = new("--volume-label") { Description = "Windows: the drive's label in Explorer.", DefaultValueFactory = _ => DokanDefaults.VolumeLabel };

    public Option<string?> NetworkDrive { get; } = new("--network-drive") { Description = @"Windows: show as a network drive with this UNC name (\\server\share); needs Dokan's network provider." };

    public Option<bool> CurrentSession { get; } = new("--current-session") { Description = "Windows: only this logon session sees the drive." };

    public IEnumerable<Option> All =>
    [
        CacheDir, MemoryCacheMiB, DiskCacheMiB, MaxDirtyMiB, BlockSizeKiB, ReadAheadMiB, ParallelReadAhead, WholeFileReadMiB, MetadataTtlSeconds, WriteBackDelaySeconds,
        Conflict, UploadAfterClose, ExactMtimes, NoMetadataIndex, ReadOnly, AllowOther, Uid, Gid, Umask, LogLevel, LogFile, Host, VolumeLabel, NetworkDrive, CurrentSession,
    ];

    /// <summary>The host that shows the mount: Dokan on Windows, FUSE elsewhere, unless --host says otherwise.</summary>
    public IMountHostFactory HostFactory(ParseResult parse, ILoggerFactory loggers) =>
        (parse.GetValue(Host) ?? (OperatingSystem.IsWindows() ? MountHostKind.Dokan : MountHostKind.Fuse)) switch
        {
            MountHostKind.Dokan => new DokanHostFactory(Dokan(parse), loggers),
            _ => new FuseHostFactory(Fuse(parse), loggers),
        };

    public DokanMountOptions Dokan(ParseResult parse) => new()
    {
        VolumeLabel = parse.GetValue(VolumeLabel)!,
        NetworkUncName = parse.GetValue(NetworkDrive),
        CurrentSessionOnly = parse.GetValue(CurrentSession),
        ReadOnly = parse.GetValue(ReadOnly),
    };

    public EngineOptions Engine(ParseResult parse, RemoteUri remote) => new()
    {
        CacheDirectory = parse.GetValue(CacheDir) is { Length: > 0 } dir ? Path.GetFullPath(dir) : MountedBucket.DefaultCacheDirectory(remote),
        MemoryCacheBytes = parse.GetValue(MemoryCacheMiB) * EngineOptions.MiB,
        DiskCacheBytes = parse.GetValue(DiskCacheMiB) * EngineOptions.MiB,
        MaxDirtyBytes = parse.GetValue(MaxDirtyMiB) * EngineOptions.MiB,
        BlockSize = parse.GetValue(BlockSizeKiB) * 1024,
        MaxReadAhead = parse.GetValue(ReadAheadMiB) * EngineOptions.MiB,
        StreamSequentialReads = !parse.GetValue(ParallelReadAhead),
        WholeFileReadBytes = parse.GetValue(WholeFileReadMiB) * EngineOptions.MiB,
        MetadataTtl = TimeSpan.FromSeconds(parse.GetValue(MetadataTtlSeconds)),
        WriteBackDelay = TimeSpan.FromSeconds(parse.GetValue(WriteBackDelaySeconds)),
        ConflictPolicy = parse.GetValue(Conflict),
        ExactModificationTimes = parse.GetValue(ExactMtimes),
        WriteMetadataIndex = !parse.GetValue(NoMetadataIndex),
        StreamUploads = !parse.GetValue(UploadAfterClose),
        ReadOnly = parse.GetValue(ReadOnly),
    };

    public FuseMountOptions Fuse(ParseResult parse) => new()
    {
        AllowOther = parse.GetValue(AllowOther),
        Uid = parse.GetValue(Uid),
        Gid = parse.GetValue(Gid),
        Umask = ParseUmask(parse.GetValue(Umask)!),
        ReadOnly = parse.GetValue(ReadOnly),
    };

    /// <summary>Largest --max-dirty-mib: 1 PiB, far past any cache disk, and safe from overflow in bytes.</summary>
    private const long MaxDirtyMiBLimit = 1L << 30;

    /// <summary>--max-dirty-mib in its own words: a whole number of MiB, at least 1 (0 would refuse every write).</summary>
    private static long ParseMaxDirtyMiB(System.CommandLine.Parsing.ArgumentResult result)
    {
        var text = string.Join(' ', result.Tokens.Select(t => t.Value));
        if (long.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var mib) && mib is >= 1 and <= MaxDirtyMiBLimit)
        {
            return mib;
        }

        result.AddError($"{EngineOptions.MaxDirtyOption} '{text}' is not a whole number of MiB from 1 to {MaxDirtyMiBLimit} (the default is {EngineOptions.DefaultMaxDirtyBytes / EngineOptions.MiB}, 50 GiB).");
        return 0;
    }

    private static uint ParseUmask(string text)
    {
        try
        {
            return Convert.ToUInt32(text, 8) & 0x1FF;
        }
        catch (FormatException)
        {
            throw new ArgumentException($"--umask '{text}' is not an octal number such as 022.");
        }
    }
}

/// <summary>Which operating-system interface shows the mount.</summary>
internal enum MountHostKind
{
    Fuse,
    Dokan,
}
