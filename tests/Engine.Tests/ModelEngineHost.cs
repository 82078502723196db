using BucketMount.Backends;
using BucketMount.Backends.Decorators;

namespace BucketMount.Engine.Tests;

/// <summary>What one family of model runs exercises.</summary>
public sealed record ModelScenario
{
    /// <summary>Transient failures, lost responses (the store acted, the caller got an error) and throttling bursts.</summary>
    public bool Faults { get; init; }

    /// <summary>The engine "dies" at random steps and a new one starts on (a copy of) its cache directory.</summary>
    public bool Crashes { get; init; }

    /// <summary>Someone else writes objects in the store between steps (the metadata TTL is then 0).</summary>
    public bool OutsideWriter { get; init; }

    /// <summary>Files past the multipart threshold (5 MiB parts), some written in order so they stream.</summary>
    public bool BigFiles { get; init; }

    public ConflictPolicy Conflicts { get; init; } = ConflictPolicy.LastWriterWins;

    public TimeSpan WriteBackDelay { get; init; } = TimeSpan.Zero;
}

/// <summary>
/// The engine a model run drives, over one "real" store that outlives every engine generation. Each generation
/// sees the store through a <see cref="CrashGate"/> (and, when asked, fault injection and the retry decorator as
/// the CLI uses it), so a crash cuts that generation off the store at one instant, as a killed process is.
/// </summary>
internal sealed class ModelEngineHost : IAsyncDisposable
{
    private readonly ModelScenario _scenario;
    private readonly int _seed;
    private readonly List<string> _folders = [];
    private CrashGate _gate = null!;
    private FaultInjectingObjectStore? _faults;
    private int _generation;

    public ModelEngineHost(IObjectStore store, ModelScenario scenario, int seed)
    {
        Store = store;
        _scenario = scenario;
        _seed = seed;
        CacheDirectory = NewFolder();
        Engine = Start();
    }

    /// <summary>The store itself, as an outside writer or an auditor sees it (no faults).</summary>
    public IObjectStore Store { get; }

    public MountEngine Engine { get; private set; }

    public string CacheDirectory { get; private set; }

    public int Crashes { get; private set; }

    public long InjectedFaults { get; private set; }

    /// <summary>Makes the next <paramref name="count"/> calls of this generation fail as throttled.</summary>
    public void Throttle(int count) => _faults?.FailNext(count, ObjectStoreErrorKind.Throttled);

    /// <summary>
    /// The process dies now: this generation's calls stop reaching the store (those under way may still act, their
    /// answers are lost), its cache directory is taken as it is (journal first, so every staging file a record
    /// names comes along), a torn record appended when asked, and a new engine starts on that copy.
    /// </summary>
    public async Task CrashAndRestartAsync(bool tornRecord, Random random, CancellationToken cancellationToken)
    {
        _gate.Kill();
        var copy = NewFolder();
        CopyFolder(Path.Combine(CacheDirectory, "journal"), Path.Combine(copy, "journal"));
        CopyFolder(CacheDirectory, copy);
        if (tornRecord && Directory.GetFiles(Path.Combine(copy, "journal")).OrderBy(f => f, StringComparer.Ordinal).LastOrDefault() is { } segment)
        {
            var garbage = new byte[random.Next(1, 40)];
            random.NextBytes(garbage);
            await File.AppendAllBytesAsync(segment, garbage, cancellationToken);
        }

        // The dead engine is stopped so it wastes no CPU; it can reach neither the store nor the copy.
        await StopQuietlyAsync(Engine);
        Crashes++;
        CacheDirectory = copy;
        Engine = Start();
    }

    /// <summary>A clean unmount and a new engine with an empty cache: what it shows comes from the store alone.</summary>
    public async Task RemountEmptyAsync(CancellationToken cancellationToken)
    {
        await Engine.ShutdownAsync(null, cancellationToken);
        InjectedFaults += _faults?.InjectedFaults ?? 0;
        _faults = null;
        CacheDirectory = NewFolder();
        Engine = Start();
    }

    public async ValueTask DisposeAsync()
    {
        await StopQuietlyAsync(Engine);
        foreach (var folder in _folders)
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private async Task StopQuietlyAsync(MountEngine engine)
    {
        InjectedFaults += _faults?.InjectedFaults ?? 0;
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        try
        {
            await engine.ShutdownAsync(null, cancelled.Token).WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (Exception e) when (e is OperationCanceledException or FileSystemException or ObjectStoreException)
        {
        }
    }

    private MountEngine Start()
    {
        _generation++;
        _gate = new CrashGate(Store);
        IObjectStore store = _gate;
        _faults = null;
        if (_scenario.Faults)
        {
            _faults = new FaultInjectingObjectStore(_gate, new FaultOptions
            {
                TransientFailureRate = 0.03,
                LostResponseRate = 0.03,
                Seed = _seed * 1000 + _generation,
            });
            store = new RetryingObjectStore(_faults, new RetryPolicy { MaxAttempts = 40, BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(4), ThrottleMultiplier = 2 });
        }

        return MountEngine.Start(store, new EngineOptions
        {
            CacheDirectory = CacheDirectory,
            WriteBackDelay = _scenario.WriteBackDelay,
            BlockSize = 64 * 1024,
            ReadAheadRequestBytes = 256 * 1024,
            MaxReadAhead = 512 * 1024,
            WholeFileReadBytes = 256 * 1024,
            MemoryCacheBytes = 512 * 1024,
            DiskCacheBytes = 1024 * 1024,
            UploadPartSize = 5 * EngineOptions.MiB,
            MetadataTtl = _scenario.OutsideWriter ? TimeSpan.Zero : TimeSpan.FromMinutes(5),
            ConflictPolicy = _scenario.Conflicts,

            // Few enough that staging files' descriptors are closed and opened again all the time.
            StagingDescriptors = 3,
        });
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            var target = Path.Combine(to, Path.GetFileName(file));
            // The dead engine's lock on its cache directory is the one thing a real crash releases.
            if (!File.Exists(target) && Path.GetFileName(file) != "lock")
            {
                try
                {
                    File.Copy(file, target);
                }
                catch (FileNotFoundException)
                {
                    // Gone between the listing and the copy: not there at the instant of the crash either.
                }
            }
        }

        foreach (var dir in Directory.GetDirectories(from))
        {
            var target = Path.Combine(to, Path.GetFileName(dir));
            if (!string.Equals(target, to, StringComparison.Ordinal))
            {
                CopyFolder(dir, target);
            }
        }
    }

    private string NewFolder()
    {
        var folder = Directory.CreateTempSubdirectory("bucketmount-model-").FullName;
        _folders.Add(folder);
        return folder;
    }
}
