using BucketMount.Engine;

namespace BucketMount.Dokan.Tests;

[TestClass]
public sealed class HostMappingTests
{
    [TestMethod]
    public void Every_engine_error_has_its_own_NTSTATUS()
    {
        var statuses = Enum.GetValues<FsError>().Select(NtStatus.From).ToList();
        Assert.AreEqual(statuses.Count, statuses.Distinct().Count(), "two errors map to one status");
        Assert.IsTrue(statuses.All(s => s < 0), "every error is an error NTSTATUS (severity bits 11)");
        Assert.AreEqual(NtStatus.ObjectNameNotFound, NtStatus.From(FsError.NotFound));
        Assert.AreEqual(NtStatus.MediaWriteProtected, NtStatus.From(FsError.ReadOnly));
    }

    [TestMethod]
    [DataRow("X:", @"X:\")]
    [DataRow("x", @"X:\")]
    [DataRow(@"m:\", @"M:\")]
    public void Drive_letters_are_accepted_in_every_spelling(string given, string expected) =>
        Assert.AreEqual(expected, DokanMountTarget.Parse(given, _ => false));

    [TestMethod]
    public void Star_takes_the_first_free_letter_from_Z_down() =>
        Assert.AreEqual(@"X:\", DokanMountTarget.Parse("*", letter => letter is 'Z' or 'Y'));

    [TestMethod]
    public void A_letter_in_use_is_refused_with_what_to_do()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => DokanMountTarget.Parse("C:", letter => letter == 'C'));
        StringAssert.Contains(error.Message, "already in use");
        StringAssert.Contains(error.Message, "*");
    }

    [TestMethod]
    public void A_folder_must_be_a_full_path_to_an_empty_folder()
    {
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => DokanMountTarget.Parse("relative\\folder", _ => false)).Message, "neither a drive letter");
        var folder = Directory.CreateTempSubdirectory("bucketmount-target-").FullName;
        try
        {
            Assert.AreEqual(folder, DokanMountTarget.Parse(folder, _ => false), "an empty folder: a Windows container volume");
            File.WriteAllText(Path.Combine(folder, "x"), "x");
            StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => DokanMountTarget.Parse(folder, _ => false)).Message, "not empty");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void Bad_options_name_what_is_wrong()
    {
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new DokanMountOptions { VolumeLabel = new string('x', 33) }.Validate()).Message, "1 to 32");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new DokanMountOptions { NetworkUncName = "server" }.Validate()).Message, @"\\server\share");
    }
}
