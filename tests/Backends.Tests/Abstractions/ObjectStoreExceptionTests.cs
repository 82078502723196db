namespace BucketMount.Backends.Tests.Abstractions;

/// <summary>
/// A store error's message is what the user reads (`bucketmount: ...`, a log, the event log): it says what happened in
/// words and where, never the name of the error kind the code branches on.
/// </summary>
[TestClass]
public sealed class ObjectStoreExceptionTests
{
    [TestMethod]
    public void No_message_names_its_error_kind()
    {
        foreach (var kind in Enum.GetValues<ObjectStoreErrorKind>())
        {
            var bare = new ObjectStoreException(kind, "the reason.");
            var located = new ObjectStoreException(kind, "the reason.", "s3://bucket/prefix", "dir/file.txt");

            Assert.DoesNotContain(kind.ToString(), bare.Message, StringComparison.Ordinal, bare.Message);
            Assert.DoesNotContain(kind.ToString(), located.Message, StringComparison.Ordinal, located.Message);
            Assert.EndsWith("the reason.", bare.Message);
            StringAssert.Contains(located.Message, "s3://bucket/prefix, key 'dir/file.txt'");
        }
    }

    [TestMethod]
    public void A_refused_argument_reads_as_its_own_explanation()
    {
        Assert.AreEqual("an entry is not valid: fix it.", new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument, "an entry is not valid: fix it.").Message);
        Assert.AreEqual("not found (s3://bucket, key 'a'): no object has this key.",
            new ObjectStoreException(ObjectStoreErrorKind.NotFound, "no object has this key.", "s3://bucket", "a").Message);
        Assert.AreEqual("the store did not answer (s3://bucket): connection refused.",
            new ObjectStoreException(ObjectStoreErrorKind.Transient, "connection refused.", "s3://bucket", "").Message, "a listing of the bucket's root names no key ''");
    }
}
