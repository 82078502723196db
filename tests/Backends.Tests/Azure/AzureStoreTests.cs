using BucketMount.Backends.Azure;
using BucketMount.Backends.Remotes;
using BucketMount.TestSupport;

namespace BucketMount.Backends.Tests.Azure;

[TestClass]
public sealed class AzureStoreTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task A_wrong_account_key_is_access_denied_by_Azurite()
    {
        var options = await AzuriteContainers.CreateAsync(Token);
        var wrongKey = Convert.ToBase64String(new byte[64]);
        await using var store = new AzureBlobObjectStore(options with { AccountKey = wrongKey });

        var error = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => store.PutAsync("k", new MemoryStream([1]), null, Token));

        Assert.AreEqual(ObjectStoreErrorKind.AccessDenied, error.Kind);
        StringAssert.Contains(error.Message, "account key or SAS");
        Assert.DoesNotContain(wrongKey, error.Message);
    }

    [TestMethod]
    public async Task Metadata_names_that_sort_differently_by_ordinal_and_by_collation_are_signed_as_the_service_sorts_them()
    {
        // Ordinal puts "a1" before "a_1"; Azure and Azurite put '_' first. Signed in the wrong order, Azurite answers 403.
        var options = await AzuriteContainers.CreateAsync(Token);
        await using var store = new AzureBlobObjectStore(options);
        var metadata = new Dictionary<string, string> { ["a_1"] = "1", ["a1"] = "2", ["ab"] = "3", ["a_b"] = "4", ["a"] = "5", ["z9_"] = "6", ["z9"] = "7" };

        await store.PutAsync("m", new MemoryStream([1]), new PutOptions { Metadata = metadata }, Token);
        await store.CopyAsync("m", "m2", new CopyOptions { ReplaceMetadata = metadata }, Token);

        CollectionAssert.AreEquivalent(metadata.ToList(), (await store.HeadAsync("m2", Token))!.Metadata!.ToList());
    }

    [TestMethod]
    public async Task Delete_many_sends_one_blob_batch_per_256_keys_and_treats_missing_blobs_as_deleted()
    {
        var options = await AzuriteContainers.CreateAsync(Token);
        await using var store = new AzureBlobObjectStore(options);
        var keys = Enumerable.Range(0, 300).Select(i => $"dir/f {i:D3}+%#?.txt").ToList();
        await Parallel.ForEachAsync(keys.Take(290), Token, async (key, ct) => await store.PutAsync(key, new MemoryStream([1]), null, ct));
        var before = store.Counters.Snapshot();

        var failures = await store.DeleteManyAsync([.. keys, ""], Token);

        var sent = store.Counters.Snapshot().Since(before);
        Assert.AreEqual(2, sent.Requests[RequestKind.Delete], sent.ToString());
        Assert.AreEqual("", failures.Single().Key);
        Assert.AreEqual(ObjectStoreErrorKind.InvalidArgument, failures.Single().Error.Kind);
        await foreach (var entry in store.ListAsync("", null, Token))
        {
            Assert.Fail($"'{entry.Key}' survived the batch delete");
        }
    }

    [TestMethod]
    public async Task Delete_many_with_a_sas_token_uses_the_sas_in_every_sub_request()
    {
        var options = await AzuriteContainers.CreateAsync(Token);
        var sas = AccountSas.Create(options.Account, options.AccountKey!, "rwdlac", TimeSpan.FromHours(1));
        await using var store = new AzureBlobObjectStore(options with { AccountKey = null, SasToken = sas });
        await store.PutAsync("a", new MemoryStream([1]), null, Token);
        await store.PutAsync("b/c", new MemoryStream([1]), null, Token);

        var failures = await store.DeleteManyAsync(["a", "b/c", "missing"], Token);

        Assert.IsEmpty(failures);
        Assert.IsNull(await store.HeadAsync("a", Token));
        Assert.IsNull(await store.HeadAsync("b/c", Token));
    }

    [TestMethod]
    public async Task A_container_service_sas_authorizes_writes_copies_listings_and_batch_deletes()
    {
        var options = await AzuriteContainers.CreateAsync(Token);
        var sas = ServiceSas.Create(options.Account, options.AccountKey!, options.Container, "racwdl", TimeSpan.FromHours(1));
        await using var store = new AzureBlobObjectStore(options with { AccountKey = null, SasToken = sas });

        await store.PutAsync("a b/x+y.txt", new MemoryStream("one"u8.ToArray()), null, Token);
        await store.CopyAsync("a b/x+y.txt", "copy", new CopyOptions { ReplaceMetadata = new Dictionary<string, string> { ["k"] = "v" } }, Token);
        var listed = new List<string>();
        await foreach (var entry in store.ListAsync("", "/", Token))
        {
            listed.Add(entry.Key);
        }

        CollectionAssert.AreEqual(new[] { "a b/", "copy" }, listed);
        Assert.AreEqual("v", (await store.HeadAsync("copy", Token))!.Metadata!["k"]);
        Assert.IsEmpty(await store.DeleteManyAsync(["a b/x+y.txt", "copy"], Token));
        Assert.IsNull(await store.HeadAsync("copy", Token));
    }

    [TestMethod]
    public async Task Delete_many_without_delete_permission_reports_every_key_as_access_denied()
    {
        var options = await AzuriteContainers.CreateAsync(Token);
        await using (var writer = new AzureBlobObjectStore(options))
        {
            await writer.PutAsync("a", new MemoryStream([1]), null, Token);
            await writer.PutAsync("b", new MemoryStream([1]), null, Token);
        }

        var sas = AccountSas.Create(options.Account, options.AccountKey!, "rl", TimeSpan.FromHours(1));
        await using var store = new AzureBlobObjectStore(options with { AccountKey = null, SasToken = sas });

        var failures = await store.DeleteManyAsync(["a", "b"], Token);

        CollectionAssert.AreEquivalent(new[] { "a", "b" }, failures.Select(f => f.Key).ToList());
        Assert.IsTrue(failures.All(f => f.Error.Kind == ObjectStoreErrorKind.AccessDenied), string.Join("; ", failures.Select(f => f.Error.Message)));
        Assert.IsNotNull(await store.HeadAsync("a", Token));
    }

    [TestMethod]
    public async Task A_sas_token_authorizes_reads_writes_and_listings()
    {
        var options = await AzuriteContainers.CreateAsync(Token);
        var sas = AccountSas.Create(options.Account, options.AccountKey!, "rwdlac", TimeSpan.FromHours(1));
        await using var store = new AzureBlobObjectStore(options with { AccountKey = null, SasToken = "?" + sas });

        await store.PutAsync("dir/sas.txt", new MemoryStream("via sas"u8.ToArray()), null, Token);
        var listed = new List<string>();
        await foreach (var entry in store.ListAsync("", null, Token))
        {
            listed.Add(entry.Key);
        }

        CollectionAssert.AreEqual(new[] { "dir/sas.txt" }, listed);
        Assert.AreEqual(7, (await store.HeadAsync("dir/sas.txt", Token))?.Size);
        Assert.DoesNotContain("sig=", store.ToString()!);
        Assert.DoesNotContain(sas, store.Description);
    }

    [TestMethod]
    public async Task A_sas_token_without_write_permission_is_access_denied()
    {
        var options = await AzuriteContainers.CreateAsync(Token);
        var readOnly = AccountSas.Create(options.Account, options.AccountKey!, "rl", TimeSpan.FromHours(1));
        await using var store = new AzureBlobObjectStore(options with { AccountKey = null, SasToken = readOnly });

        var error = await Assert.ThrowsExactlyAsync<ObjectStoreException>(() => store.PutAsync("k", new MemoryStream([1]), null, Token));

        Assert.AreEqual(ObjectStoreErrorKind.AccessDenied, error.Kind);
    }

    [TestMethod]
    public void Connection_strings_full_sas_and_development_are_understood()
    {
        var full = AzureBlobStoreOptions.FromConnectionString("DefaultEndpointsProtocol=https;AccountName=myacct;AccountKey=" + Convert.ToBase64String(new byte[8]) + ";EndpointSuffix=core.chinacloudapi.cn", "data");
        var sas = AzureBlobStoreOptions.FromConnectionString("BlobEndpoint=https://other.blob.core.windows.net;SharedAccessSignature=sv=2021&sig=abc", "data");
        var development = AzureBlobStoreOptions.FromConnectionString("UseDevelopmentStorage=true", "data");

        Assert.AreEqual("https://myacct.blob.core.chinacloudapi.cn/", full.ServiceUri.ToString());
        Assert.AreEqual(("other", "sv=2021&sig=abc"), (sas.Account, sas.SasToken));
        Assert.AreEqual(AzureBlobStoreOptions.DevelopmentAccount, development.Account);
        Assert.AreEqual("http://127.0.0.1:10000/devstoreaccount1/", development.ServiceUri.ToString());
    }

    [TestMethod]
    [DataRow("AccountName=acct", "neither AccountKey nor SharedAccessSignature")]
    [DataRow("AccountKey=c2VjcmV0", "neither AccountName nor BlobEndpoint")]
    [DataRow("garbage", "Name=Value")]
    public void Malformed_connection_strings_name_what_is_missing_without_echoing_secrets(string text, string expected)
    {
        var error = Assert.ThrowsExactly<ObjectStoreException>(() => AzureBlobStoreOptions.FromConnectionString(text, "data"));

        StringAssert.Contains(error.Message, expected);
        Assert.DoesNotContain("c2VjcmV0", error.Message);
    }

    [TestMethod]
    [DataRow("ab", "characters")]
    [DataRow("Upper", "other than a-z")]
    [DataRow("double--hyphen", "two hyphens")]
    [DataRow("-start", "start and end")]
    public void Invalid_container_names_are_refused_with_the_rule(string container, string expected)
    {
        var error = Assert.ThrowsExactly<ObjectStoreException>(() => new AzureBlobObjectStore(new AzureBlobStoreOptions { Account = "acct", Container = container, AccountKey = "AAAA" }));

        StringAssert.Contains(error.Message, expected);
        StringAssert.Contains(error.Message, container);
    }

    [TestMethod]
    public void Options_never_show_the_key()
    {
        var key = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());
        var options = new AzureBlobStoreOptions { Account = "acct", Container = "data", AccountKey = key };

        Assert.DoesNotContain(key, options.ToString());
        StringAssert.Contains(options.ToString(), "az://acct/data");
    }

    [TestMethod]
    public void A_sign_in_method_chosen_without_its_secret_names_the_variable_to_set()
    {
        var error = Assert.ThrowsExactly<ObjectStoreException>(() => ObjectStoreFactory.Create(RemoteUri.Parse("az://acct/data?auth=key"), new RemoteCredentials()));

        Assert.AreEqual(ObjectStoreErrorKind.AccessDenied, error.Kind);
        StringAssert.Contains(error.Message, "AZURE_STORAGE_KEY");
    }

    [TestMethod]
    public async Task An_az_remote_with_a_connection_string_reaches_Azurite()
    {
        var options = await AzuriteContainers.CreateAsync(Token);
        var connection = $"DefaultEndpointsProtocol=http;AccountName={options.Account};AccountKey={options.AccountKey};BlobEndpoint={options.Endpoint}";
        await using var store = ObjectStoreFactory.Create(RemoteUri.Parse($"az://{options.Account}/{options.Container}/sub"), new RemoteCredentials { AzureConnectionString = connection });

        await store.PutAsync("f", new MemoryStream([7]), null, Token);

        await using var direct = new AzureBlobObjectStore(options);
        Assert.AreEqual(1, (await direct.HeadAsync("sub/f", Token))?.Size);
    }
}
