using BucketMount.Backends.Remotes;

namespace BucketMount.Backends.Tests.Remotes;

/// <summary>
/// Query options are declared per kind of remote: a misspelt or unknown one is refused with the closest known name,
/// never ignored (an ignored ?endpont= would send requests and credentials to AWS).
/// </summary>
[TestClass]
public sealed class RemoteOptionTests
{
    [TestMethod]
    [DataRow("s3://bucket?endpont=http://127.0.0.1:9000", "endpont", "endpoint")]
    [DataRow("s3://bucket?endpoint=http://127.0.0.1:9000&pathstyle", "pathstyle", "path_style")]
    [DataRow("r2://acct/bucket?regoin=auto", "regoin", "region")]
    [DataRow("gs://bucket?batch_delet=false", "batch_delet", "batch_delete")]
    [DataRow("az://acct/cont?endpiont=http://127.0.0.1:10000/acct", "endpiont", "endpoint")]
    public void A_misspelt_option_is_refused_with_the_right_name(string text, string typed, string meant)
    {
        var error = Assert.ThrowsExactly<ObjectStoreException>(() => RemoteUri.Parse(text));

        Assert.AreEqual(ObjectStoreErrorKind.InvalidArgument, error.Kind);
        StringAssert.Contains(error.Message, $"unknown option '{typed}' (did you mean '{meant}'?)");
    }

    [TestMethod]
    public void An_option_far_from_any_known_one_is_refused_without_a_guess()
    {
        var error = Assert.ThrowsExactly<ObjectStoreException>(() => RemoteUri.Parse("s3://bucket?colour=blue"));

        StringAssert.Contains(error.Message, "unknown option 'colour'; it accepts endpoint, region");
        Assert.IsFalse(error.Message.Contains("did you mean", StringComparison.Ordinal), error.Message);
    }

    [TestMethod]
    public void A_local_or_memory_remote_takes_no_options()
    {
        var error = Assert.ThrowsExactly<ObjectStoreException>(() => RemoteUri.Parse("file:///srv/data?region=x"));

        StringAssert.Contains(error.Message, "this kind of remote takes no options");
    }

    [TestMethod]
    public void A_misspelt_scheme_is_refused_with_the_right_one()
    {
        var error = Assert.ThrowsExactly<ObjectStoreException>(() => RemoteUri.Parse("s4://bucket"));

        StringAssert.Contains(error.Message, "the scheme 's4' is not one this program knows (did you mean 's3'?)");
    }

    [TestMethod]
    public void A_unix_socket_endpoint_must_name_the_socket_by_its_whole_path()
    {
        var relative = ObjectStoreFactory.S3Options(RemoteUri.Parse("s3://bucket?endpoint=unix://run/gw.sock"), new RemoteCredentials());
        var whole = ObjectStoreFactory.S3Options(RemoteUri.Parse("s3://bucket?endpoint=unix:///run/gw.sock"), new RemoteCredentials());

        var error = Assert.ThrowsExactly<ObjectStoreException>(relative.Validate);
        StringAssert.Contains(error.Message, "names a Unix socket by a relative path: give it whole, as in unix:///run/gateway.sock");
        whole.Validate();
    }

    [TestMethod]
    public void A_yes_no_option_with_another_value_is_refused()
    {
        var remote = RemoteUri.Parse("s3://bucket?endpoint=http://127.0.0.1:9&path_style=ture");

        var error = Assert.ThrowsExactly<ObjectStoreException>(() => ObjectStoreFactory.S3Options(remote, new RemoteCredentials()));

        StringAssert.Contains(error.Message, "path_style=ture is not true or false");
    }

    [TestMethod]
    public void A_gs_remote_is_the_GCS_XML_API_with_its_differences_set()
    {
        var remote = RemoteUri.Parse("gs://my-bucket/work");

        var options = ObjectStoreFactory.S3Options(remote, new RemoteCredentials { S3AccessKeyId = "GOOG1EXAMPLE", S3SecretAccessKey = "secret" });

        Assert.AreEqual((RemoteKind.Gcs, "my-bucket", "work"), (remote.Kind, remote.Bucket, remote.Prefix));
        Assert.AreEqual("gs://my-bucket/work", remote.ToString());
        Assert.AreEqual("https://storage.googleapis.com", options.Endpoint);
        Assert.AreEqual("auto", options.Region);
        Assert.IsFalse(options.BatchDelete, "GCS's XML API has no multi-object delete");
        Assert.IsFalse(options.ConditionalWrites, "GCS's XML API ignores If-Match / If-None-Match on PUT");
        Assert.AreEqual(long.MaxValue, options.MultipartCopyThreshold, "GCS's XML API has no UploadPartCopy");
    }

    [TestMethod]
    public void A_gs_remote_keeps_what_its_query_says()
    {
        var options = ObjectStoreFactory.S3Options(RemoteUri.Parse("gs://b?endpoint=http://127.0.0.1:4443&batch_delete=true"), new RemoteCredentials());

        Assert.AreEqual("http://127.0.0.1:4443", options.Endpoint);
        Assert.IsTrue(options.BatchDelete);
        Assert.IsFalse(options.ConditionalWrites);
    }

    [TestMethod]
    public void An_s3_remote_keeps_its_defaults_when_the_query_is_silent()
    {
        var options = ObjectStoreFactory.S3Options(RemoteUri.Parse("s3://b"), new RemoteCredentials());

        Assert.IsTrue(options.BatchDelete && options.ConditionalWrites && options.ConditionalReads);
    }
}
