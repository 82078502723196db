using Microsoft.Extensions.Logging;

namespace BucketMount.Engine.Tests;

/// <summary>
/// Issue 17: WaitForUploadsAsync (and the unmount's drain) returns only when nothing is pending: an uploaded file has
/// left the registry and its journal record is gone, not a moment before.
/// </summary>
[TestClass]
public sealed class DrainEndTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task WaitForUploads_does_not_return_while_an_uploaded_file_is_still_finishing()
    {
        // Holds the upload of /a just after the store took it, before the file is let go: the moment a drain
        // used to see it clean and return although the file was still registered and its journal record there.
        using var logger = new HoldingLogger("Uploaded '/a'");
        await using var fx = new EngineFixture(loggers: logger);
        await fx.WriteFileAsync("/a", new byte[1000], Token);
        Assert.IsTrue(await logger.Entered.WaitAsync(TimeSpan.FromSeconds(60), Token), "the upload of /a landed");

        var drain = Task.Run(() => fx.Engine.WaitForUploadsAsync(null, Token), Token);
        var returnedEarly = await Task.WhenAny(drain, Task.Delay(TimeSpan.FromSeconds(5), Token)) == drain;
        logger.Release();
        await drain.WaitAsync(TimeSpan.FromSeconds(60), Token);

        Assert.IsFalse(returnedEarly, "the drain returned while /a was still finishing its upload");
        Assert.IsEmpty(fx.Engine.RegisteredPaths, "nothing registered once the drain returned");
    }

    /// <summary>Blocks the first log line starting with <c>prefix</c> until released.</summary>
    private sealed class HoldingLogger(string prefix) : ILogger, ILoggerFactory
    {
        private readonly ManualResetEventSlim _release = new(false);
        private int _held;

        public SemaphoreSlim Entered { get; } = new(0);

        public void Release() => _release.Set();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (formatter(state, exception).StartsWith(prefix, StringComparison.Ordinal) && Interlocked.Exchange(ref _held, 1) == 0)
            {
                Entered.Release();
                _release.Wait(TimeSpan.FromMinutes(2));
            }
        }

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
            _release.Set();
            _release.Dispose();
            Entered.Dispose();
        }
    }
}
