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
    public void The_mount_manager_serves_local_drive_letters_only_as_dokanys_mirror_allows()
    {
        const uint mountManager = 0x40, network = 0x10, currentSession = 0x80;
        Assert.AreEqual(mountManager, DokanMountHost.Flags(new DokanMountOptions(), @"X:\") & mountManager, "a local drive letter");
        var networkDrive = DokanMountHost.Flags(new DokanMountOptions { NetworkUncName = @"\\bucket\share" }, @"X:\");
        Assert.AreEqual(network, networkDrive & (network | mountManager), "a network drive is the network provider's, never with the mount manager");
        var sessionDrive = DokanMountHost.Flags(new DokanMountOptions { CurrentSessionOnly = true }, @"X:\");
        Assert.AreEqual(currentSession, sessionDrive & (currentSession | mountManager), "the mount manager mounts for every session");
        Assert.AreEqual(0u, DokanMountHost.Flags(new DokanMountOptions(), @"C:\mounts\b") & mountManager, "a folder");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new DokanMountOptions { NetworkUncName = @"\\bucket\share" }.ValidateFor(@"C:\mounts\b")).Message,
            "--network-drive needs a drive letter");
    }

    [TestMethod]
    public void Mount_errors_describe_only_what_dokany_2_3_can_answer()
    {
        StringAssert.Contains(DokanLibrary.DescribeMountError(-7, @"X:\"), "dokan2.dll and the Dokan driver are different versions");
        StringAssert.Contains(DokanLibrary.DescribeMountError(-3, @"X:\"), "not installed or failed to start");
        foreach (var unreachable in new[] { -1, -2, -6 })
        {
            StringAssert.Contains(DokanLibrary.DescribeMountError(unreachable, @"X:\"), $"(error {unreachable})", "no guess for a code DokanCreateFileSystem never gives this host");
        }
    }

    [TestMethod]
    public void Bad_options_name_what_is_wrong()
    {
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new DokanMountOptions { VolumeLabel = new string('x', 33) }.Validate()).Message, "1 to 32");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new DokanMountOptions { NetworkUncName = "server" }.Validate()).Message, @"\\server\share");
    }
}
