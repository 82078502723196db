using System.Net;
using System.Net.Sockets;
using BucketMount.Backends.Azure;
using BucketMount.TestSupport;

namespace BucketMount.Backends.Tests.Azure;

/// <summary>What the Azure store does beyond the contract: copies, empty uploads, and how failures are reported.</summary>
[TestClass]
public sealed class AzureBehaviourTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationToken;

    [TestMethod]
    public async Task Copy_can_replace_metadata_with_none_and_set_the_content_type()
    {
        await using var store = new AzureBlobObjectStore(await AzuriteContainers.CreateAsync(Token));
        await store.PutAsync("src", new MemoryStream([1, 2]), new PutOptions { Metadata = new Dictionary<string, string> { ["mtime"] = "1" }, ContentType = "text/plain" }, Token);

        var copied = await store.CopyAsync("src", "dst", new CopyOptions { ReplaceMetadata = new Dictionary<string, string>(), ContentType = "application/json" }, Token);
        var inPlace = await store.CopyAsync("src", "src", new CopyOptions { ContentType = "image/png" }, Token);

        Assert.IsEmpty(copied.Metadata!);
        Assert.AreEqual("application/json", copied.ContentType);
        Assert.AreEqual(2, copied.Size);
        Assert.AreEqual("image/png", inPlace.ContentType);
        Assert.AreEqual("1", inPlace.Metadata!["mtime"]);
    }

    [TestMethod]
    public async Task Copy_checks_the_source_etag_and_names_a_missing_source()
    {
        await using var store = new AzureBlobObjectStore(await AzuriteContainers.CreateAsync(Token));
        var first = await store.PutAsync("src", new MemoryStream([1]), null, Token);
        await store.PutAsync("src", new MemoryStream([2]), null, Token);

        var stale = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => store.CopyAsync("src", "dst", new CopyOptions { SourceIfMatch = first.ETag }, Token));
        var staleInPlace = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() =>
            store.CopyAsync("src", "src", new CopyOptions { SourceIfMatch = first.ETag, ReplaceMetadata = new Dictionary<string, string>() }, Token));
        var missing = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => store.CopyAsync("nothing here", "dst", null, Token));

        Assert.AreEqual(ObjectStoreErrorKind.PreconditionFailed, stale.Kind);
        Assert.AreEqual(ObjectStoreErrorKind.PreconditionFailed, staleInPlace.Kind);
        Assert.AreEqual(ObjectStoreErrorKind.NotFound, missing.Kind);
        Assert.AreEqual("nothing here", missing.Key);
        Assert.IsNull(await store.HeadAsync("dst", Token));
    }

    [TestMethod]
    public async Task An_empty_upload_commits_an_empty_block_list()
    {
        await using var store = new AzureBlobObjectStore(await AzuriteContainers.CreateAsync(Token));
        var before = store.Counters.Snapshot();

        var info = await store.UploadAsync("empty", new MemoryUploadSource(ReadOnlyMemory<byte>.Empty), null, Token);

        Assert.AreEqual(1, store.Counters.Snapshot().Since(before).Requests[RequestKind.Multipart]);
        Assert.AreEqual(0, info.Size);
        Assert.AreEqual(0, (await store.HeadAsync("empty", Token))?.Size);
    }

    [TestMethod]
    public async Task Upload_sends_equal_blocks_then_one_block_list()
    {
        await using var store = new AzureBlobObjectStore(await AzuriteContainers.CreateAsync(Token));
        var data = new byte[(3 * 1024 * 1024) + 5];
        new Random(3).NextBytes(data);
        var before = store.Counters.Snapshot();

        await store.UploadAsync("big", new MemoryUploadSource(data), new UploadOptions { PartSize = 1024 * 1024, Concurrency = 3 }, Token);

        var sent = store.Counters.Snapshot().Since(before);
        Assert.AreEqual(5, sent.Requests[RequestKind.Multipart], sent.ToString());
        Assert.AreEqual(data.Length, sent.BytesUploaded);
        var back = new MemoryStream();
        await store.ReadToAsync("big", 0, null, back, null, Token);
        CollectionAssert.AreEqual(data, back.ToArray());
    }

    [TestMethod]
    public async Task A_missing_container_is_not_found_and_says_it_is_the_container()
    {
        var options = await AzuriteContainers.CreateAsync(Token);
        await using var store = new AzureBlobObjectStore(options with { Container = "no-such-container" });

        var head = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => store.HeadAsync("k", Token));
        var list = await Assert.ThrowsExactlyAsync<ObjectStoreException>(async () =>
        {
            await foreach (var _ in store.ListAsync("", "/", Token))
            {
            }
        });

        foreach (var error in new[] { head, list })
        {
            Assert.AreEqual(ObjectStoreErrorKind.NotFound, error.Kind);
            StringAssert.Contains(error.Message, "container does not exist");
            StringAssert.Contains(error.Message, "az://devstoreaccount1/no-such-container");
        }
    }

    [TestMethod]
    public async Task A_closed_port_is_a_transient_error()
    {
        await using var store = new AzureBlobObjectStore(AzureBlobStoreOptions.Development("data", EmulatorProcess.FreeLoopbackPort()));

        var error = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => store.HeadAsync("k", Token));

        Assert.AreEqual(ObjectStoreErrorKind.Transient, error.Kind);
        Assert.DoesNotContain(AzureBlobStoreOptions.DevelopmentKey, error.ToString());
    }

    [TestMethod]
    public async Task A_server_that_never_answers_times_out_as_transient_but_a_cancelled_caller_sees_cancellation()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var options = AzureBlobStoreOptions.Development("data", port) with { RequestTimeout = TimeSpan.FromMilliseconds(300) };
        await using var store = new AzureBlobObjectStore(options);

        var timeout = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => store.HeadAsync("k", Token));
        await using var patient = new AzureBlobObjectStore(options with { RequestTimeout = TimeSpan.FromMinutes(1) });
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Token);
        cancel.CancelAfter(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAsync<OperationCanceledException>(() => patient.HeadAsync("k", cancel.Token));

        Assert.AreEqual(ObjectStoreErrorKind.Transient, timeout.Kind);
        StringAssert.Contains(timeout.Message, "timed out");
    }

    [TestMethod]
    public async Task A_sas_only_connection_string_and_development_storage_reach_Azurite()
    {
        var options = await AzuriteContainers.CreateAsync(Token);
        var sas = AccountSas.Create(options.Account, options.AccountKey!, "rwdlac", TimeSpan.FromHours(1));
        var port = new Uri(options.Endpoint!).Port;

        await using var viaSas = new AzureBlobObjectStore(AzureBlobStoreOptions.FromConnectionString($"BlobEndpoint={options.Endpoint};SharedAccessSignature={sas}", options.Container));
        await using var viaDevelopment = new AzureBlobObjectStore(
            AzureBlobStoreOptions.FromConnectionString($"UseDevelopmentStorage=true;DevelopmentStorageProxyUri=http://127.0.0.1:{port}", options.Container));
        await viaSas.PutAsync("f", new MemoryStream([9]), null, Token);

        Assert.AreEqual(1, (await viaDevelopment.HeadAsync("f", Token))?.Size);
    }
}
