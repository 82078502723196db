using BucketMount.Engine;
using BucketMount.Fuse.Interop;

namespace BucketMount.Fuse.Tests;

[TestClass]
public sealed class ErrnoTests
{
    /// <summary>Linux errno values are 1 to 133 (EHWPOISON); anything else is no errno at all.</summary>
    private const int LastLinuxErrno = 133;

    [TestMethod]
    public void Every_engine_error_maps_to_a_real_errno()
    {
        foreach (var error in Enum.GetValues<FsError>())
        {
            var errno = Errno.From(error);
            Assert.IsTrue(errno is > 0 and <= LastLinuxErrno, $"{error} maps to {errno}, not an errno");
            Assert.IsFalse(FuseErrorLog.WasLogged($"errno:{error}"), $"{error} has no entry of its own in Errno.From: it fell back to EIO");
        }

        Assert.AreEqual(Errno.ENOENT, Errno.From(FsError.NotFound));
        Assert.AreEqual(Errno.ENOSPC, Errno.From(FsError.NoSpace));
        Assert.AreEqual(Errno.EMFILE, Errno.From(FsError.TooManyOpenFiles));
        Assert.AreEqual(Errno.ENFILE, Errno.From(FsError.SystemTooManyOpenFiles));
    }

    [TestMethod]
    public void A_callback_failing_with_an_error_without_errno_answers_EIO_instead_of_throwing()
    {
        // An FsError added to the engine but not to Errno.From: Fail runs inside a native callback, where a throw
        // would end the process.
        var unknown = (FsError)1000;
        var answer = FuseCallbacks.Fail(new FileSystemException(unknown, "/a", "new kind of failure."));

        Assert.AreEqual(-Errno.EIO, answer);
        Assert.IsTrue(FuseErrorLog.WasLogged($"errno:{unknown}"), "the unmapped error is logged");
        Assert.IsFalse(FuseErrorLog.Once($"errno:{unknown}", "again"), "logged once per kind, not per request");
        Assert.AreEqual(-Errno.EIO, FuseCallbacks.Fail(new FileSystemException(unknown, "/b", "again.")));
    }

    [TestMethod]
    public void A_callback_failing_with_too_many_open_files_answers_EMFILE_not_ENOSPC()
    {
        Assert.AreEqual(-Errno.EMFILE, FuseCallbacks.Fail(new FileSystemException(FsError.TooManyOpenFiles, "/a", "too many open files.")));
    }
}
