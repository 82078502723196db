using BucketMount.Backends.Remotes;

namespace BucketMount.Backends.Tests.Remotes;

[TestClass]
public sealed class RemoteUriTests
{
    [TestMethod]
    public void S3_remote_with_prefix_and_options()
    {
        var remote = RemoteUri.Parse("s3://my-bucket/some/prefix/?endpoint=http://127.0.0.1:9000&path-style&region=eu-west-1");

        Assert.AreEqual(RemoteKind.S3, remote.Kind);
        Assert.AreEqual("my-bucket", remote.Bucket);
        Assert.AreEqual("some/prefix", remote.Prefix);
        Assert.AreEqual("http://127.0.0.1:9000", remote.Parameters["endpoint"]);
        Assert.AreEqual("true", remote.Parameters["path_style"]);
        Assert.AreEqual("eu-west-1", remote.Parameters["region"]);
    }

    [TestMethod]
    public void R2_and_Azure_remotes_name_an_account_then_a_bucket()
    {
        var r2 = RemoteUri.Parse("r2://0123abcd/photos");
        var az = RemoteUri.Parse("az://myaccount/container/deep/dir");

        Assert.AreEqual(("0123abcd", "photos", ""), (r2.Account, r2.Bucket, r2.Prefix));
        Assert.AreEqual(RemoteKind.Azure, az.Kind);
        Assert.AreEqual(("myaccount", "container", "deep/dir"), (az.Account, az.Bucket, az.Prefix));
    }

    [TestMethod]
    public void File_and_memory_remotes()
    {
        var file = RemoteUri.Parse("file:///var/lib/bucketmount/store");
        var mem = RemoteUri.Parse("mem://scratch");

        Assert.AreEqual(Path.GetFullPath("/var/lib/bucketmount/store"), file.LocalPath);
        Assert.AreEqual(("scratch", RemoteKind.Memory), (mem.Bucket, mem.Kind));
    }

    [TestMethod]
    [DataRow("", "empty")]
    [DataRow("my-bucket", "no scheme")]
    [DataRow("ftp://host/x", "'ftp'")]
    [DataRow("s3://", "no bucket")]
    [DataRow("az://onlyaccount", "storage account and then the container")]
    [DataRow("r2://", "account id and then the bucket")]
    [DataRow("file://relative/path", "absolute folder")]
    [DataRow("mem://", "needs a name")]
    public void Malformed_remotes_get_an_error_naming_the_problem(string text, string expected)
    {
        var error = Assert.ThrowsExactly<ObjectStoreException>(() => RemoteUri.Parse(text));

        Assert.AreEqual(ObjectStoreErrorKind.InvalidArgument, error.Kind);
        StringAssert.Contains(error.Message, expected);
        StringAssert.Contains(error.Message, "s3://bucket[/prefix]", "the message shows the accepted forms");
    }

    [TestMethod]
    [DataRow("s3://bucket?secret_key=AKIASECRETVALUE123")]
    [DataRow("az://acct/cont?sig=SECRETVALUE123")]
    [DataRow("az://acct/cont?account-key=SECRETVALUE123")]
    [DataRow("s3://bucket?aws_secret_access_key=SECRETVALUE123")]
    [DataRow("s3://bucket?X-Amz-Signature=SECRETVALUE123")]
    [DataRow("s3://bucket?x-amz-credential=SECRETVALUE123")]
    [DataRow("s3://bucket?AWSAccessKeyId=SECRETVALUE123")]
    [DataRow("s3://bucket?SIGNATURE=SECRETVALUE123")]
    [DataRow("az://acct/cont?sas_token=SECRETVALUE123")]
    [DataRow("az://acct/cont?AccountKey=SECRETVALUE123")]
    [DataRow("s3://bucket?apikey=SECRETVALUE123")]
    [DataRow("s3://bucket?path_style&X-Amz-Security-Token=SECRETVALUE123&region=x")]
    [DataRow("s3://KEYID:SECRETVALUE123@bucket")]
    [DataRow("s3://SECRETVALUE123@bucket/prefix")]
    [DataRow("az://KEYID:SECRETVALUE123@acct/cont")]
    [DataRow("s3://bucket?endpoint=http://KEYID:SECRETVALUE123@127.0.0.1:9000")]
    [DataRow("s3://bucket?endpoint=http%3A%2F%2Fuser%3ASECRETVALUE123%40127.0.0.1%3A9000")]
    [DataRow("s3://bucket?endpoint=http://127.0.0.1:9000/%3FX-Amz-Signature%3DSECRETVALUE123")]
    [DataRow("s3://bucket?endpoint=https%3A%2F%2Fhost%2F%3Fapikey%3DSECRETVALUE123")]
    public void Secrets_in_the_uri_are_refused_without_being_echoed(string text)
    {
        var error = Assert.ThrowsExactly<ObjectStoreException>(() => RemoteUri.Parse(text));

        StringAssert.Contains(error.Message, "environment");
        Assert.DoesNotContain("SECRETVALUE123", error.Message);
    }

    [TestMethod]
    [DataRow("s3://KEYID:SECRETVALUE123@bucket/p?region=x", "s3://…@bucket/p?region=x")]
    [DataRow("s3://bucket?region=x&X-Amz-Signature=SECRETVALUE123", "s3://bucket?region=x&X-Amz-Signature=…")]
    [DataRow("s3://bucket?endpoint=http://u:SECRETVALUE123@h:1/?sig=SECRETVALUE123", "s3://bucket?endpoint=http://…@h:1/?sig=…")]
    public void A_uri_is_shown_with_its_secrets_hidden(string text, string shown) =>
        Assert.AreEqual(shown, UriSecrets.Redact(text));

    [TestMethod]
    public void The_options_a_remote_takes_are_not_mistaken_for_secrets()
    {
        var remote = RemoteUri.Parse("s3://bucket?endpoint=http://127.0.0.1:9000&region=eu&path_style&profile=dev&list_version=1&conditional_writes=false&conditional_reads=false&batch_delete=false");

        Assert.AreEqual(8, remote.Parameters.Count);
    }
}
