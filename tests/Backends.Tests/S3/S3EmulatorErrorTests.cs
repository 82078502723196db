using BucketMount.Backends.S3;
using BucketMount.TestSupport;

namespace BucketMount.Backends.Tests.S3;

/// <summary>Errors as the store reports them from real responses of the emulators (and from a missing credential chain).</summary>
[TestClass]
public sealed class S3EmulatorErrorTests
{
    private static readonly string[] CredentialVariables =
    [
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ];

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task An_unknown_access_key_is_access_denied_and_the_message_does_not_show_the_secret()
    {
        // s3rver checks the access key id of a V4 signature but not the signature itself (its signature V4 check is unimplemented).
        var emulator = await Emulators.S3rver;
        var bucket = await S3Buckets.CreateBucketAsync(emulator, Token);
        const string wrongSecret = "WRONG-SECRET-NEVER-SHOWN";
        await using var store = new S3ObjectStore(S3Buckets.ForS3rver(new S3StoreOptions
        {
            Bucket = bucket,
            Endpoint = emulator.Endpoint,
            ForcePathStyle = true,
            AccessKeyId = "UNKNOWNKEYID",
            SecretAccessKey = wrongSecret,
        }));

        var error = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => store.PutAsync("k", new MemoryStream([1, 2, 3]), null, Token));

        Assert.AreEqual(ObjectStoreErrorKind.AccessDenied, error.Kind);
        StringAssert.Contains(error.Message, "s3://" + bucket);
        StringAssert.Contains(error.Message, "check the access key");
        Assert.DoesNotContain(wrongSecret, error.ToString());
    }

    [TestMethod]
    public async Task No_credentials_anywhere_is_access_denied_naming_the_variables_to_set()
    {
        var set = CredentialVariables.Where(v => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(v))).ToList();
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var files = new[]
        {
            Environment.GetEnvironmentVariable("AWS_SHARED_CREDENTIALS_FILE") ?? Path.Combine(home, ".aws", "credentials"),
            Environment.GetEnvironmentVariable("AWS_CONFIG_FILE") ?? Path.Combine(home, ".aws", "config"),
        };
        if (set.Count > 0 || files.Any(File.Exists))
        {
            Assert.Inconclusive($"this machine has AWS credentials configured ({string.Join(", ", set.Concat(files.Where(File.Exists)))}), so the chain would find them");
        }

        // Nothing listens on the port: the credential chain fails before any connection would be made.
        var endpoint = $"http://127.0.0.1:{EmulatorProcess.FreeLoopbackPort()}";
        await using var store = new S3ObjectStore(new S3StoreOptions { Bucket = "no-credentials", Endpoint = endpoint, ForcePathStyle = true });

        var error = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => store.HeadAsync("k", Token));

        Assert.AreEqual(ObjectStoreErrorKind.AccessDenied, error.Kind, error.Message);
        StringAssert.Contains(error.Message, "AWS_ACCESS_KEY_ID");
        StringAssert.Contains(error.Message, "s3://no-credentials");
    }

    [TestMethod]
    public async Task A_stale_copy_source_etag_is_precondition_failed_even_where_the_server_ignores_the_header()
    {
        // fauxqs ignores x-amz-copy-source-if-match (measured); the store checks the source's ETag itself as well.
        await using var store = await S3Buckets.CreateAsync(await Emulators.Fauxqs, o => o, Token);
        var first = await store.PutAsync("src", new MemoryStream([1]), null, Token);
        await store.PutAsync("src", new MemoryStream([2, 2]), null, Token);

        var error = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => store.CopyAsync("src", "dst", new CopyOptions { SourceIfMatch = first.ETag }, Token));

        Assert.AreEqual(ObjectStoreErrorKind.PreconditionFailed, error.Kind);
        StringAssert.Contains(error.Message, "src");
        Assert.IsNull(await store.HeadAsync("dst", Token));
    }

    [TestMethod]
    public async Task A_copy_told_the_source_size_sends_no_HEAD_and_one_told_nothing_sends_one()
    {
        await using var store = await S3Buckets.CreateAsync(await Emulators.Fauxqs, o => o, Token);
        await store.PutAsync("src", new MemoryStream([1, 2, 3]), null, Token);

        var before = store.Counters.Snapshot();
        await store.CopyAsync("src", "dst1", new CopyOptions { SourceSize = 3 }, Token);
        var sized = store.Counters.Snapshot().Since(before);
        await store.CopyAsync("src", "dst2", null, Token);
        var both = store.Counters.Snapshot().Since(before);

        Assert.AreEqual(0, sized.Requests[RequestKind.Head], "a directory rename knows each size from its listing");
        Assert.AreEqual(1, sized.Requests[RequestKind.Copy]);
        Assert.AreEqual(1, both.Requests[RequestKind.Head], "without the size the store looks it up");
    }

    [TestMethod]
    public async Task Cancellation_propagates_as_itself_not_as_a_store_error()
    {
        await using var store = await S3Buckets.CreateAsync(await Emulators.Fauxqs, o => o, Token);
        await store.PutAsync("k", new MemoryStream([1, 2, 3]), null, Token);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAsync<OperationCanceledException>(() => store.HeadAsync("k", cancelled.Token));
        await Assert.ThrowsAsync<OperationCanceledException>(() => store.ReadAsync("k", 0, new byte[3], null, cancelled.Token));
        await Assert.ThrowsAsync<OperationCanceledException>(() => store.PutAsync("k2", new MemoryStream([1]), null, cancelled.Token));
        await Assert.ThrowsAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in store.ListAsync("", null, cancelled.Token))
            {
            }
        });
        Assert.IsNull(await store.HeadAsync("k2", Token));
    }
}
