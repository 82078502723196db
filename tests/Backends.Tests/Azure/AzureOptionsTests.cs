using BucketMount.Backends.Azure;

namespace BucketMount.Backends.Tests.Azure;

/// <summary>Options, connection strings and request signing, checked without a server.</summary>
[TestClass]
public sealed class AzureOptionsTests
{
    private const string Key = "c2VjcmV0LWtleS1ieXRlcw==";

    [TestMethod]
    [DataRow("", "it is empty")]
    [DataRow("AccountName=acct;AccountKey=", "AccountKey is empty")]
    [DataRow("AccountName=acct;AccountKey=" + Key + ";AccountKey=" + Key, "AccountKey is given twice")]
    [DataRow("AccountName=acct;AccountKey=not*base64" + Key, "AccountKey is not valid base64")]
    [DataRow("DefaultEndpointsProtocol=ftp;AccountName=acct;AccountKey=" + Key, "DefaultEndpointsProtocol must be https or http")]
    [DataRow("BlobEndpoint=not a url;AccountKey=" + Key, "BlobEndpoint is not an http(s) URL")]
    [DataRow("UseDevelopmentStorage=maybe", "UseDevelopmentStorage must be 'true'")]
    [DataRow("UseDevelopmentStorage=true;DevelopmentStorageProxyUri=ftp://x", "DevelopmentStorageProxyUri is not an http(s) URL")]
    public void Malformed_connection_strings_name_the_bad_part_and_never_echo_the_key(string text, string expected)
    {
        var error = Assert.ThrowsExactly<ObjectStoreException>(() => AzureBlobStoreOptions.FromConnectionString(text, "data"));

        Assert.AreEqual(ObjectStoreErrorKind.InvalidArgument, error.Kind);
        StringAssert.Contains(error.Message, expected);
        Assert.DoesNotContain(Key, error.Message);
        Assert.DoesNotContain("not*base64", error.Message);
    }

    [TestMethod]
    public void A_sas_connection_string_with_a_path_style_endpoint_takes_the_account_from_the_path()
    {
        var options = AzureBlobStoreOptions.FromConnectionString("BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;SharedAccessSignature=sv=2021-12-02&sig=abc", "data");

        Assert.AreEqual(AzureBlobStoreOptions.DevelopmentAccount, options.Account);
        Assert.AreEqual("http://127.0.0.1:10000/devstoreaccount1/", options.ServiceUri.ToString());
        Assert.DoesNotContain("sig=abc", options.ToString());
    }

    [TestMethod]
    public void Development_storage_takes_a_proxy_endpoint()
    {
        var options = AzureBlobStoreOptions.FromConnectionString("UseDevelopmentStorage=true;DevelopmentStorageProxyUri=http://127.0.0.1:12345", "data");

        Assert.AreEqual("http://127.0.0.1:12345/devstoreaccount1/", options.ServiceUri.ToString());
        Assert.AreEqual(AzureBlobStoreOptions.DevelopmentKey, options.AccountKey);
    }

    [TestMethod]
    public void An_endpoint_carrying_a_query_is_refused_without_showing_the_query()
    {
        var options = new AzureBlobStoreOptions { Account = "acct", Container = "data", Endpoint = "https://acct.blob.core.windows.net/?sv=1&sig=secretsig", SasToken = "sig=x" };

        var error = Assert.ThrowsExactly<ObjectStoreException>(() => new AzureBlobObjectStore(options));

        StringAssert.Contains(error.Message, "SAS token");
        Assert.DoesNotContain("secretsig", error.Message);
        Assert.DoesNotContain("secretsig", options.ToString());
    }

    [TestMethod]
    public void A_store_shows_neither_the_key_nor_the_sas()
    {
        var withKey = new AzureBlobStoreOptions { Account = "acct", Container = "data", AccountKey = Key };
        var withSas = new AzureBlobStoreOptions { Account = "acct", Container = "data", SasToken = "?sv=2021-12-02&sig=topsecret" };

        foreach (var text in new[] { withKey.ToString(), withSas.ToString(), new AzureBlobObjectStore(withKey).ToString(), new AzureBlobObjectStore(withSas).Description })
        {
            Assert.DoesNotContain(Key, text);
            Assert.DoesNotContain("topsecret", text);
            StringAssert.Contains(text, "az://acct/data");
        }
    }

    [TestMethod]
    public void Empty_credentials_are_missing_credentials()
    {
        var error = Assert.ThrowsExactly<ObjectStoreException>(() => new AzureBlobObjectStore(new AzureBlobStoreOptions { Account = "acct", Container = "data", SasToken = "?" }));

        Assert.AreEqual(ObjectStoreErrorKind.AccessDenied, error.Kind);
        Assert.ThrowsExactly<ObjectStoreException>(() => new AzureBlobObjectStore(new AzureBlobStoreOptions { Account = "acct", Container = "data", AccountKey = "" }));
    }

    [TestMethod]
    [DataRow("abc")]
    [DataRow("a-b-c")]
    [DataRow("0container9")]
    [DataRow("a23456789012345678901234567890123456789012345678901234567890123")]
    public void Valid_container_names_are_accepted(string container) =>
        AzureContainerNames.Validate("acct", container);

    [TestMethod]
    [DataRow("a234567890123456789012345678901234567890123456789012345678901234", "64 characters")]
    [DataRow("end-", "start and end")]
    [DataRow("under_score", "other than a-z")]
    public void More_invalid_container_names_are_refused(string container, string expected)
    {
        var error = Assert.ThrowsExactly<ObjectStoreException>(() => AzureContainerNames.Validate("acct", container));

        Assert.AreEqual(ObjectStoreErrorKind.InvalidArgument, error.Kind);
        StringAssert.Contains(error.Message, expected);
    }

    [TestMethod]
    public void Canonical_headers_sort_underscore_before_digits_and_digits_before_letters()
    {
        var signer = new SharedKeySigner("acct", Key);
        using var request = new HttpRequestMessage(HttpMethod.Put, "https://acct.blob.core.windows.net/data/a%20b?comp=metadata&timeout=5");
        foreach (var name in new[] { "x-ms-version", "x-ms-meta-a1", "x-ms-meta-a_1", "x-ms-meta-a", "x-ms-date", "x-ms-meta-ab" })
        {
            request.Headers.Add(name, "v");
        }

        var lines = signer.StringToSign(request).Split('\n');

        CollectionAssert.AreEqual(
            new[] { "x-ms-date:v", "x-ms-meta-a:v", "x-ms-meta-a_1:v", "x-ms-meta-a1:v", "x-ms-meta-ab:v", "x-ms-version:v", "/acct/data/a%20b", "comp:metadata", "timeout:5" },
            lines[12..]);
    }
}
