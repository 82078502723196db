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

    public Option<long> MemoryCacheMiB { get; } = OptionValues.Create("--memory-cache-mib", "Memory for cached file data (at least four blocks).", OptionValues.Whole("--memory-cache-mib", 1, MiBLimit, "MiB"), () => Defaults.MemoryCacheBytes / EngineOptions.MiB);

    public Option<long> DiskCacheMiB { get; } = OptionValues.Create("--disk-cache-mib", "Disk for cached clean file data.", OptionValues.Whole("--disk-cache-mib", 0, MiBLimit, "MiB"), () => Defaults.DiskCacheBytes / EngineOptions.MiB);

    public Option<long> MaxDirtyMiB { get; } = new(EngineOptions.MaxDirtyOption)
    {
        Description = "Most written data not yet uploaded the cache may hold; past it, writes fail with \"no space left\" until uploads catch up.",
        DefaultValueFactory = _ => EngineOptions.DefaultMaxDirtyBytes / EngineOptions.MiB,
        CustomParser = ParseMaxDirtyMiB,
    };

    public Option<int> BlockSizeKiB { get; } = OptionValues.Create("--block-size-kib", "Size of one ranged read and cache block (a power of two from 64 to 65536).", OptionValues.PowerOfTwo("--block-size-kib", 64, 64 * 1024, "KiB"), () => Defaults.BlockSize / 1024);

    public Option<long> ReadAheadMiB { get; } = OptionValues.Create("--read-ahead-mib", "Largest read-ahead of a sequential reader.", OptionValues.Whole("--read-ahead-mib", 0, MiBLimit, "MiB"), () => Defaults.MaxReadAhead / EngineOptions.MiB);

    public Option<bool> ParallelReadAhead { get; } = new("--parallel-read-ahead") { Description = "Kept for old command lines: parallel ranged GETs are the default read-ahead now." };

    public Option<bool> StreamingReadAhead { get; } = new("--streaming-read-ahead") { Description = "Feed each sequential reader from one streaming GET instead of parallel 16 MiB ranged GETs (fewer requests; slower where one connection is slow)." };

    public Option<long> WholeFileReadMiB { get; } = OptionValues.Create("--whole-file-read-mib", "A file up to this size read at random (four cache misses) is fetched whole by one GET; 0: off.", OptionValues.Whole("--whole-file-read-mib", 0, MiBLimit, "MiB"), () => Defaults.WholeFileReadBytes / EngineOptions.MiB);

    public Option<double> MetadataTtlSeconds { get; } = OptionValues.Create("--metadata-ttl", "Seconds a listing or lookup is trusted before asking the store again.", OptionValues.Seconds("--metadata-ttl"), () => Defaults.MetadataTtl.TotalSeconds);

    public Option<double> SyncWindowSeconds { get; } = OptionValues.Create("--sync-window", "Seconds: fsync returns once the file is safe in the local cache, and it reaches the store within this long (0: fsync returns only once the file is in the store).", OptionValues.Seconds("--sync-window"), () => Defaults.SyncWindow.TotalSeconds);

    public Option<double> WriteBackDelaySeconds { get; } = OptionValues.Create("--write-back-delay", "Seconds after the last close before a changed file of up to one part is uploaded (larger files start at once).", OptionValues.Seconds("--write-back-delay"), () => Defaults.WriteBackDelay.TotalSeconds);

    public Option<ConflictPolicy> Conflict { get; } = OptionValues.Create("--conflict", "When the object changed in the store since it was opened: LastWriterWins or KeepBoth.", OptionValues.Choice<ConflictPolicy>("--conflict"), () => Defaults.ConflictPolicy);

    public Option<bool> UploadAfterClose { get; } = new("--upload-after-close") { Description = "Send every file only after its last close, never part by part while it is written (a streamed file keeps the modification time it had when its first parts went)." };

    public Option<bool> ExactMtimes { get; } = new("--exact-mtimes") { Description = "Accepted for old command lines; listings are always exact now (see --no-metadata-index)." };

    public Option<bool> NoMetadataIndex { get; } = new("--no-metadata-index") { Description = "Write no per-directory metadata index objects (.bucketmount-index); listings stay exact but pay a HEAD per file no index describes." };

    public Option<bool> ReadOnly { get; } = new("--read-only") { Description = "Refuse every change." };

    public Option<bool> AllowOther { get; } = new("--allow-other") { Description = "Let other users see the mount (kernel permission checks are then on)." };

    public Option<uint?> Uid { get; } = OptionValues.Create("--uid", "Owner shown for objects without one, a numeric user id (default: you).", OptionValues.Id("--uid"));

    public Option<uint?> Gid { get; } = OptionValues.Create("--gid", "Group shown for objects without one, a numeric group id (default: yours).", OptionValues.Id("--gid"));

    public Option<string> Umask { get; } = new("--umask") { Description = "Octal bits removed from default modes 0777/0666.", DefaultValueFactory = _ => "0" + Convert.ToString(FuseDefaults.Umask, 8) };

    public Option<Microsoft.Extensions.Logging.LogLevel> LogLevel { get; } = OptionValues.Create("--log-level", "Trace (every file operation), Debug (every store request and upload), Information, Warning, Error or None.", OptionValues.Choice<Microsoft.Extensions.Logging.LogLevel>("--log-level"), () => Microsoft.Extensions.Logging.LogLevel.Warning);

    public Option<string?> LogFile { get; } = new("--log-file") { Description = "Append log lines to this file instead of standard error (rotated, see --log-file-max-mib)." };

    public Option<long> LogFileMaxMiB { get; } = OptionValues.Create(
        "--log-file-max-mib", $"Rotate the log file past this size (FILE.1 … FILE.{Logging.SimpleLoggerProvider.KeptFiles} kept); 0: never.",
        OptionValues.Whole("--log-file-max-mib", 0, MiBLimit, "MiB"), () => Logging.SimpleLoggerProvider.DefaultMaxFileMiB);

    public Option<MountHostKind?> Host { get; } = OptionValues.Create("--host", "Fuse (Linux) or Dokan (Windows); default: the one for this system.", OptionValues.OptionalChoice<MountHostKind>("--host"));

    public Option<string> VolumeLabel { get; } = new("--volume-label") { Description = "Windows: the drive's label in Explorer.", DefaultValueFactory = _ => DokanDefaults.VolumeLabel };

    public Option<string?> NetworkDrive { get; } = new("--network-drive") { Description = @"Windows: show as a network drive with this UNC name (\\server\share); needs Dokan's network provider." };

    public Option<bool> CurrentSession { get; } = new("--current-session") { Description = "Windows: only this logon session sees the drive." };

    public IEnumerable<Option> All =>
    [
        CacheDir, MemoryCacheMiB, DiskCacheMiB, MaxDirtyMiB, BlockSizeKiB, ReadAheadMiB, ParallelReadAhead, StreamingReadAhead, WholeFileReadMiB, MetadataTtlSeconds, WriteBackDelaySeconds, SyncWindowSeconds,
        Conflict, UploadAfterClose, ExactMtimes, NoMetadataIndex, ReadOnly, AllowOther, Uid, Gid, Umask, LogLevel, LogFile, LogFileMaxMiB, Host, VolumeLabel, NetworkDrive, CurrentSession,
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

    /// <summary>The engine's options from the command line, checked here so a refusal names the option the user typed.</summary>
    public EngineOptions Engine(ParseResult parse, RemoteUri remote)
    {
        var options = Unchecked(parse, remote);
        if (options.MemoryCacheBytes < 4L * options.BlockSize)
        {
            throw new ArgumentException(
                $"--memory-cache-mib {parse.GetValue(MemoryCacheMiB)} must hold at least four blocks of --block-size-kib {parse.GetValue(BlockSizeKiB)}: give at least {Math.Max(1, 4L * options.BlockSize / EngineOptions.MiB)}.");
        }

        try
        {
            options.Validate();
        }
        catch (ArgumentException e) when (e.ParamName is { } setting)
        {
            // The engine names its own settings (BlockSize); the user typed an option (--block-size-kib).
            var option = All.FirstOrDefault(o => EngineSettingOf(o.Name) == setting)?.Name ?? setting;
            throw new ArgumentException($"{option}: {e.Message.Replace($" (Parameter '{setting}')", "", StringComparison.Ordinal).Replace($"engine setting {setting} ", "", StringComparison.Ordinal)}");
        }

        return options;
    }

    /// <summary>Which engine setting an option sets, for naming the option when the engine refuses the value.</summary>
    private static string? EngineSettingOf(string option) => option switch
    {
        "--cache-dir" => nameof(EngineOptions.CacheDirectory),
        "--memory-cache-mib" => nameof(EngineOptions.MemoryCacheBytes),
        "--disk-cache-mib" => nameof(EngineOptions.DiskCacheBytes),
        EngineOptions.MaxDirtyOption => nameof(EngineOptions.MaxDirtyBytes),
        "--block-size-kib" => nameof(EngineOptions.BlockSize),
        "--read-ahead-mib" => nameof(EngineOptions.MaxReadAhead),
        "--whole-file-read-mib" => nameof(EngineOptions.WholeFileReadBytes),
        "--metadata-ttl" => nameof(EngineOptions.MetadataTtl),
        "--write-back-delay" => nameof(EngineOptions.WriteBackDelay),
        _ => null,
    };

    private EngineOptions Unchecked(ParseResult parse, RemoteUri remote) => new()
    {
        CacheDirectory = parse.GetValue(CacheDir) is { Length: > 0 } dir ? Path.GetFullPath(dir) : MountedBucket.DefaultCacheDirectory(remote),
        MemoryCacheBytes = parse.GetValue(MemoryCacheMiB) * EngineOptions.MiB,
        DiskCacheBytes = parse.GetValue(DiskCacheMiB) * EngineOptions.MiB,
        MaxDirtyBytes = parse.GetValue(MaxDirtyMiB) * EngineOptions.MiB,
        BlockSize = parse.GetValue(BlockSizeKiB) * 1024,
        MaxReadAhead = parse.GetValue(ReadAheadMiB) * EngineOptions.MiB,
        StreamSequentialReads = parse.GetValue(StreamingReadAhead) && !parse.GetValue(ParallelReadAhead),
        WholeFileReadBytes = parse.GetValue(WholeFileReadMiB) * EngineOptions.MiB,
        MetadataTtl = TimeSpan.FromSeconds(parse.GetValue(MetadataTtlSeconds)),
        WriteBackDelay = TimeSpan.FromSeconds(parse.GetValue(WriteBackDelaySeconds)),
        SyncWindow = TimeSpan.FromSeconds(parse.GetValue(SyncWindowSeconds)),
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

    /// <summary>Largest size option in MiB: 1 PiB, far past any cache disk, and safe from overflow in bytes.</summary>
    private const long MiBLimit = 1L << 30;

    /// <summary>--max-dirty-mib in its own words: a whole number of MiB, at least 1 (0 would refuse every write).</summary>
    private static long ParseMaxDirtyMiB(System.CommandLine.Parsing.ArgumentResult result)
    {
        var text = string.Join(' ', result.Tokens.Select(t => t.Value));
        if (long.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var mib) && mib is >= 1 and <= MiBLimit)
        {
            return mib;
        }

        result.AddError($"{EngineOptions.MaxDirtyOption} '{text}' is not a whole number of MiB from 1 to {MiBLimit} (the default is {EngineOptions.DefaultMaxDirtyBytes / EngineOptions.MiB}, 50 GiB).");
        return 0;
    }

    private static uint ParseUmask(string text)
    {
        try
        {
            return Convert.ToUInt32(text, 8) & 0x1FF;
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
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
