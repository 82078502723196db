using BucketMount.Backends.Remotes;
using BucketMount.Backends.S3;
using BucketMount.TestSupport;

namespace BucketMount.Backends.Tests.S3;

[TestClass]
public sealed class S3StoreTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public void The_R2_shortcut_points_at_the_accounts_endpoint_with_region_auto()
    {
        var options = S3StoreOptions.ForR2("0123456789abcdef", "photos");

        Assert.AreEqual("https://0123456789abcdef.r2.cloudflarestorage.com", options.Endpoint);
        Assert.AreEqual("auto", options.Region);
        Assert.AreEqual("photos", options.Bucket);
    }

    [TestMethod]
    public void An_r2_remote_uri_builds_an_S3_store_at_the_R2_endpoint()
    {
        var credentials = new RemoteCredentials { S3AccessKeyId = "AKIDEXAMPLE", S3SecretAccessKey = "r2-secret-value" };

        var store = ObjectStoreFactory.Create(RemoteUri.Parse("r2://abc123/bucket-one/some/prefix"), credentials);

        Assert.AreEqual("s3://bucket-one/some/prefix/", store.Description);
        Assert.DoesNotContain("r2-secret-value", store.ToString()!);
    }

    [TestMethod]
    [DataRow("ab", "it has 2 characters")]
    [DataRow("Upper-Case", "character other than")]
    [DataRow("under_score", "character other than")]
    [DataRow("-leading", "start and end")]
    [DataRow("double..dot", "two dots")]
    [DataRow("192.168.1.1", "IP address")]
    [DataRow("xn--punycode", "starts with 'xn--'")]
    [DataRow("my-bucket-s3alias", "ends with '-s3alias'")]
    [DataRow("this-bucket-name-is-longer-than-sixty-three-characters-which-s3-refuses", "it has 71 characters")]
    public void Invalid_bucket_names_are_refused_with_the_rule_they_break(string bucket, string expected)
    {
        var error = Assert.ThrowsExactly<ObjectStoreException>(() => new S3ObjectStore(new S3StoreOptions { Bucket = bucket, AccessKeyId = "a", SecretAccessKey = "b" }));

        Assert.AreEqual(ObjectStoreErrorKind.InvalidArgument, error.Kind);
        StringAssert.Contains(error.Message, expected);
        StringAssert.Contains(error.Message, bucket);
    }

    [TestMethod]
    public void Options_never_show_the_secret_or_the_session_token()
    {
        var options = new S3StoreOptions { Bucket = "b-bucket", AccessKeyId = "AKIDVISIBLE", SecretAccessKey = "SECRET-NOT-SHOWN", SessionToken = "TOKEN-NOT-SHOWN" };

        var text = options.ToString();

        StringAssert.Contains(text, "AKIDVISIBLE");
        Assert.DoesNotContain("SECRET-NOT-SHOWN", text);
        Assert.DoesNotContain("TOKEN-NOT-SHOWN", text);
    }

    [TestMethod]
    public void A_key_without_its_secret_is_refused_before_any_request()
    {
        var error = Assert.ThrowsExactly<ObjectStoreException>(() => new S3ObjectStore(new S3StoreOptions { Bucket = "bucket", AccessKeyId = "AKID" }));

        StringAssert.Contains(error.Message, "AWS_SECRET_ACCESS_KEY");
    }

    [TestMethod]
    public void A_missing_profile_is_access_denied_with_what_to_set()
    {
        var error = Assert.ThrowsExactly<ObjectStoreException>(() => new S3ObjectStore(new S3StoreOptions { Bucket = "bucket", Profile = "no-such-profile-" + Guid.NewGuid() }));

        Assert.AreEqual(ObjectStoreErrorKind.AccessDenied, error.Kind);
        StringAssert.Contains(error.Message, "AWS_PROFILE");
    }

    [TestMethod]
    public async Task A_missing_bucket_is_not_found_naming_the_bucket()
    {
        var emulator = await Emulators.Fauxqs;
        await using var store = new S3ObjectStore(new S3StoreOptions { Bucket = "no-such-bucket-here", Endpoint = emulator.Endpoint, ForcePathStyle = true, AccessKeyId = "a", SecretAccessKey = "b" });

        var error = await Assert.ThrowsExactlyAsync<ObjectStoreException>(async () =>
        {
            await foreach (var _ in store.ListAsync("", "/", Token))
            {
            }
        });

        Assert.AreEqual(ObjectStoreErrorKind.NotFound, error.Kind);
        StringAssert.Contains(error.Message, "s3://no-such-bucket-here");
        StringAssert.Contains(error.Message, "bucket does not exist");
    }

    [TestMethod]
    public async Task An_unreachable_endpoint_is_a_transient_error_naming_the_endpoint_problem()
    {
        var port = EmulatorProcess.FreeLoopbackPort();
        await using var store = new S3ObjectStore(new S3StoreOptions { Bucket = "bucket", Endpoint = $"http://127.0.0.1:{port}", ForcePathStyle = true, AccessKeyId = "a", SecretAccessKey = "b" });

        var error = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => store.HeadAsync("k", Token));

        Assert.AreEqual(ObjectStoreErrorKind.Transient, error.Kind);
        StringAssert.Contains(error.Message, "endpoint");
    }

    /// <summary>
    /// s3rver decodes x-amz-copy-source with decodeURI, which leaves %2B, %3F, %23... escaped: a copy of "GMT+0"
    /// (a rename, a chmod, a touch through the mount) failed as "no such key" although the key was there.
    /// </summary>
    [TestMethod]
    public async Task Keys_with_characters_decodeURI_keeps_escaped_copy_on_s3rver_and_a_missing_one_is_still_not_found()
    {
        await using var store = new S3ObjectStore(S3Buckets.ForS3rver(new S3StoreOptions
        {
            Bucket = await S3Buckets.CreateBucketAsync(await Emulators.S3rver, Token),
            Endpoint = (await Emulators.S3rver).Endpoint,
            ForcePathStyle = true,
            AccessKeyId = S3Buckets.AccessKey,
            SecretAccessKey = S3Buckets.SecretKey,
        }));
        const string source = "zone:info/GMT+0 a?b#c;d,e@f&g=h$i %2B";
        await store.PutAsync(source, new MemoryStream([7, 8, 9]), new PutOptions { Metadata = new Dictionary<string, string> { ["mode"] = "33188" } }, Token);

        await store.CopyAsync(source, "renamed+1", null, Token);
        await store.CopyAsync(source, source, new CopyOptions { ReplaceMetadata = new Dictionary<string, string> { ["mode"] = "33152" } }, Token);

        using var back = new MemoryStream();
        await store.ReadToAsync("renamed+1", 0, null, back, null, Token);
        CollectionAssert.AreEqual(new byte[] { 7, 8, 9 }, back.ToArray());
        Assert.AreEqual("33152", (await store.HeadAsync(source, Token))!.Metadata!["mode"], "the copy in place (chmod) stored its metadata");
        var missing = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => store.CopyAsync("no+such?key", "x", new CopyOptions { SourceSize = 1 }, Token));
        Assert.AreEqual(ObjectStoreErrorKind.NotFound, missing.Kind);
    }

    /// <summary>
    /// The raw copy-source retry (for s3rver) must never copy another object on a server that decodes escapes as S3
    /// does: there "a?b" sent raw reads as key "a" with a query. A responder plays S3 whose source "a?b" vanished
    /// between the HEAD and the copy while "a" exists: the retry carries the vanished source's ETag, so S3 refuses it
    /// (412) instead of copying "a" under the new name; the caller sees NotFound.
    /// </summary>
    [TestMethod]
    public async Task The_raw_copy_source_retry_is_bound_to_the_source_etag_so_it_never_copies_another_object()
    {
        var copies = new System.Collections.Concurrent.ConcurrentQueue<(string Source, string? IfMatch)>();
        var noHeaders = new Dictionary<string, string>();
        using var responder = LoopbackResponder.Start(request =>
        {
            if (request.HttpMethod == "HEAD")
            {
                return (200, "", new Dictionary<string, string> { ["ETag"] = "\"vanished-etag\"", ["Content-Length"] = "3" });
            }

            var source = request.Headers["x-amz-copy-source"];
            if (request.HttpMethod != "PUT" || source is null)
            {
                return (400, "<Error><Code>InvalidRequest</Code></Error>", noHeaders);
            }

            var ifMatch = request.Headers["x-amz-copy-source-if-match"];
            copies.Enqueue((source, ifMatch));
            if (source.Contains("%3F", StringComparison.OrdinalIgnoreCase))
            {
                return (404, "<Error><Code>NoSuchKey</Code><Message>gone</Message></Error>", noHeaders);
            }

            // S3 reads the raw '?' as the end of the key: the object "a" exists, with another ETag.
            return ifMatch is null || ifMatch.Trim('"') == "other-etag"
                ? (200, "<CopyObjectResult><ETag>\"copied-the-wrong-object\"</ETag></CopyObjectResult>", noHeaders)
                : (412, "<Error><Code>PreconditionFailed</Code><Message>if-match</Message></Error>", noHeaders);
        });
        await using var store = new S3ObjectStore(new S3StoreOptions
        {
            Bucket = "copy-bucket",
            Endpoint = responder.Endpoint,
            ForcePathStyle = true,
            AccessKeyId = "AKIDCOPY",
            SecretAccessKey = "copy-secret",
        });

        var failure = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => store.CopyAsync("a?b", "renamed", new CopyOptions { SourceSize = 3 }, Token));

        Assert.AreEqual(ObjectStoreErrorKind.NotFound, failure.Kind, "the first answer (the source is gone) is what the caller sees");
        var sent = copies.ToArray();
        Assert.IsTrue(sent.Skip(1).All(copy => copy.IfMatch?.Trim('"') == "vanished-etag"), $"every raw retry is bound to the source's ETag: {string.Join(" | ", sent)}");
    }

    /// <summary>
    /// s3rver trims the keys of a DeleteObjects body (and XML turns a CR into LF everywhere): a batch delete of
    /// "d/ lead" deleted "d/lead" instead, and "d/trail " stayed (a directory's `rm -rf` or `mv` left it behind).
    /// </summary>
    [TestMethod]
    public async Task A_batch_delete_removes_keys_with_whitespace_at_an_end_and_never_their_trimmed_twins()
    {
        await using var store = new S3ObjectStore(new S3StoreOptions
        {
            Bucket = await S3Buckets.CreateBucketAsync(await Emulators.S3rver, Token),
            Endpoint = (await Emulators.S3rver).Endpoint,
            ForcePathStyle = true,
            AccessKeyId = S3Buckets.AccessKey,
            SecretAccessKey = S3Buckets.SecretKey,
            ListVersion = 1,
            BatchDelete = true,
        });
        string[] doomed = [" lead", "d/trail ", "d/tab\t", "d/plain"];
        string[] kept = ["lead", "d/trail", "d/tab"];
        foreach (var key in doomed.Concat(kept))
        {
            await store.PutAsync(key, new MemoryStream([1]), null, Token);
        }

        var failures = await store.DeleteManyAsync(doomed, Token);

        Assert.IsEmpty(failures);
        foreach (var key in doomed)
        {
            Assert.IsNull(await store.HeadAsync(key, Token), $"'{key}' is deleted");
        }

        foreach (var key in kept)
        {
            Assert.IsNotNull(await store.HeadAsync(key, Token), $"'{key}' was not asked for and stays");
        }
    }

    [TestMethod]
    public async Task Objects_over_the_multipart_copy_threshold_are_copied_in_parts_with_their_metadata()
    {
        var emulator = await Emulators.Fauxqs;
        await using var store = await S3Buckets.CreateAsync(emulator, o => o with { MultipartCopyThreshold = 6L * 1024 * 1024, MultipartCopyPartSize = 5L * 1024 * 1024 }, Token);
        var data = new byte[10 * 1024 * 1024];
        new Random(3).NextBytes(data);
        await store.PutAsync("big", new MemoryStream(data), new PutOptions { Metadata = new Dictionary<string, string> { ["mtime"] = "42" } }, Token);
        var before = store.Counters.Snapshot();

        var copy = await store.CopyAsync("big", "copied", null, Token);

        var delta = store.Counters.Snapshot().Since(before);
        Assert.AreEqual(data.Length, copy.Size);
        Assert.AreEqual(0, delta.Requests[RequestKind.Copy], "no single CopyObject");
        Assert.AreEqual(4, delta.Requests[RequestKind.Multipart], "initiate, two UploadPartCopy, complete");
        using var back = new MemoryStream();
        await store.ReadToAsync("copied", 0, null, back, null, Token);
        CollectionAssert.AreEqual(data, back.ToArray());
        Assert.AreEqual("42", (await store.HeadAsync("copied", Token))!.Metadata!["mtime"]);
    }

    [TestMethod]
    public async Task A_failing_multipart_upload_is_aborted_and_leaves_no_object()
    {
        var emulator = await Emulators.Fauxqs;
        await using var store = await S3Buckets.CreateAsync(emulator, o => o, Token);
        var failing = new FailingSource(20L * 1024 * 1024, failAt: 9L * 1024 * 1024);

        var error = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => store.UploadAsync("never", failing, new UploadOptions { PartSize = 8L * 1024 * 1024, Concurrency = 1 }, Token));

        StringAssert.Contains(error.Message, "disk went away");
        Assert.IsNull(await store.HeadAsync("never", Token));
        Assert.IsGreaterThanOrEqualTo(3, store.Counters.Requests(RequestKind.Multipart), "initiate, a part, abort");
    }

    /// <summary>An upload source that fails part-way, as a disk error would.</summary>
    private sealed class FailingSource(long length, long failAt) : IUploadSource
    {
        public long Length => length;

        public ValueTask<int> ReadAtAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
        {
            if (offset + buffer.Length > failAt)
            {
                throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument, "the disk went away");
            }

            return ValueTask.FromResult(ReadAt(offset, buffer.Span));
        }

        public int ReadAt(long offset, Span<byte> buffer)
        {
            if (offset + buffer.Length > failAt)
            {
                throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument, "the disk went away");
            }

            buffer.Clear();
            return buffer.Length;
        }
    }
}
