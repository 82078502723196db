using System.Diagnostics;

namespace BucketMount.Backends.Tests.Abstractions;

/// <summary>Key names print as `ls -b` prints file names: no control character reaches the terminal.</summary>
[TestClass]
public sealed class PrintableNamesTests
{
    [TestMethod]
    [DataRow("plain.txt")]
    [DataRow("esc\u001b]0;title\u0007end")]
    [DataRow("line\nbreak\ttab\rcr")]
    [DataRow("back\\slash")]
    [DataRow("csi\u009b31mred")]
    [DataRow("del\u007fx\u0001y")]
    [DataRow("café-日本-😀")]
    public void Names_print_exactly_as_ls_b_prints_them(string name)
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Inconclusive("compares with GNU ls");
            return;
        }

        var folder = Directory.CreateTempSubdirectory("bucketmount-lsb-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, name), "");
            var ls = new ProcessStartInfo("ls", ["-b", folder]) { RedirectStandardOutput = true, UseShellExecute = false };
            ls.Environment["LC_ALL"] = "C.UTF-8";
            using var process = Process.Start(ls)!;
            var expected = process.StandardOutput.ReadToEnd().TrimEnd('\n');
            process.WaitForExit();

            Assert.AreEqual(expected, PrintableNames.Escape(name));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void Bidirectional_overrides_and_lone_surrogates_are_escaped_too()
    {
        Assert.AreEqual(@"invoice\342\200\256fdp.exe", PrintableNames.Escape("invoice\u202Efdp.exe"));
        Assert.AreEqual(@"a\357\277\275b", PrintableNames.Escape("a\uD800b"));
    }

    [TestMethod]
    public void A_message_keeps_its_backslashes_but_loses_its_control_characters()
    {
        Assert.AreEqual(@"C:\data\x: 'a\033[2Jb'", PrintableNames.EscapeControls("C:\\data\\x: 'a\u001b[2Jb'"));
    }

    [TestMethod]
    public void A_store_error_names_the_key_escaped()
    {
        var error = new ObjectStoreException(ObjectStoreErrorKind.NotFound, "no object has this key.", "file:///x", "a\u001b[2Jb");

        Assert.DoesNotContain("\u001b", error.Message);
        StringAssert.Contains(error.Message, @"key 'a\033[2Jb'");
    }
}
