using BucketMount.Backends.Decorators;
using BucketMount.Backends.Memory;
using BucketMount.TestSupport;
using Microsoft.Extensions.Logging;

namespace BucketMount.Backends.Tests.Decorators;

/// <summary>`--log-level Debug`: one line per store request, each try its own line with its number, keys escaped.</summary>
[TestClass]
public sealed class RequestLoggingObjectStoreTests
{
    private static readonly RetryPolicy FastPolicy = new() { BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(2) };

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task Each_try_of_a_request_is_one_line_with_its_number_status_bytes_and_time()
    {
        var memory = new MemoryObjectStore();
        var faults = new FaultInjectingObjectStore(memory, new FaultOptions());
        var log = new DebugLines();
        var store = new RetryingObjectStore(new RequestLoggingObjectStore(faults, log.Logger), FastPolicy);

        await store.PutAsync("dir/a\u0001.txt", new MemoryStream(new byte[5]), null, TestContext.CancellationToken);
        faults.FailNext(1, ObjectStoreErrorKind.Transient);
        var head = await store.HeadAsync("dir/a\u0001.txt", TestContext.CancellationToken);
        var missing = await store.HeadAsync("nothing", TestContext.CancellationToken);
        await foreach (var _ in store.ListAsync("dir/", "/", TestContext.CancellationToken))
        {
        }

        Assert.AreEqual(5, head?.Size);
        Assert.IsNull(missing);
        var lines = log.Lines;
        Assert.AreEqual(5, lines.Count, string.Join('\n', lines));
        StringAssert.Matches(lines[0], new System.Text.RegularExpressions.Regex(@"^PUT 'dir/a\\001\.txt' ok 5 bytes \d+ ms try 1$"));
        StringAssert.Matches(lines[1], new System.Text.RegularExpressions.Regex(@"^HEAD 'dir/a\\001\.txt' Transient 0 bytes \d+ ms try 1$"));
        StringAssert.Matches(lines[2], new System.Text.RegularExpressions.Regex(@"^HEAD 'dir/a\\001\.txt' ok 0 bytes \d+ ms try 2$"));
        StringAssert.Matches(lines[3], new System.Text.RegularExpressions.Regex(@"^HEAD 'nothing' not found 0 bytes \d+ ms try 1$"));
        StringAssert.Matches(lines[4], new System.Text.RegularExpressions.Regex(@"^LIST 'dir/' ok, 1 entries 0 bytes \d+ ms try 1$"));
    }

    [TestMethod]
    public async Task Each_part_of_a_multipart_upload_is_a_line()
    {
        var log = new DebugLines();
        var store = new RequestLoggingObjectStore(new MemoryObjectStore(), log.Logger);
        var data = new byte[11];

        var upload = await store.BeginPartUploadAsync("big", new PutOptions(), TestContext.CancellationToken);
        Assert.IsNotNull(upload, "the memory store takes part uploads");
        var source = new MemoryUploadSource(data);
        await upload.UploadPartAsync(1, source, 0, 6, TestContext.CancellationToken);
        await upload.UploadPartAsync(2, source, 6, 5, TestContext.CancellationToken);
        await upload.CompleteAsync(11, TestContext.CancellationToken);

        var lines = log.Lines;
        StringAssert.StartsWith(lines[1], "PART#1 'big' ok 6 bytes");
        StringAssert.StartsWith(lines[2], "PART#2 'big' ok 5 bytes");
        StringAssert.StartsWith(lines[3], "MULTIPART-COMPLETE 'big' ok 11 bytes");
    }

    /// <summary>Debug lines only (the request log's level), as the CLI's log would print them.</summary>
    private sealed class DebugLines
    {
        public CountingLogger Logger { get; } = new(LogLevel.Debug);

        public IReadOnlyList<string> Lines => [.. Logger.Lines.Where(l => l.StartsWith("Debug: ", StringComparison.Ordinal)).Select(l => l["Debug: ".Length..])];
    }
}
