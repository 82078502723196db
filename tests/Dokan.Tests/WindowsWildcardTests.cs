using BucketMount.Dokan.Ntfs;

namespace BucketMount.Dokan.Tests;

/// <summary>FsRtlIsNameInExpression semantics, including the DOS wildcards cmd.exe and FindFirstFile send.</summary>
[TestClass]
public sealed class WindowsWildcardTests
{
    [TestMethod]
    [DataRow("*", "anything.txt", true)]
    [DataRow("*.txt", "a.txt", true)]
    [DataRow("*.txt", "a.TXT", true)]
    [DataRow("*.txt", "a.txt.bak", false)]
    [DataRow("a?c", "abc", true)]
    [DataRow("a?c", "ac", false)]
    [DataRow("<.txt", "a.b.txt", true)]
    [DataRow("<.txt", "a.txt.bak", false)]
    [DataRow("<", "no-dot", true)]
    [DataRow("readme\"*", "README", true)]
    [DataRow("readme\"*", "readme.md", true)]
    [DataRow("readme.*", "README", false)]
    [DataRow("a>>.txt", "a.txt", true)]
    [DataRow("a>>.txt", "ab.txt", true)]
    [DataRow("a>>.txt", "abcd.txt", false)]
    [DataRow("exact.name", "EXACT.NAME", true)]
    [DataRow("*a*b*", "xxaxxbxx", true)]
    [DataRow("*a*b*", "xxbxxaxx", false)]
    public void Matches_like_windows(string expression, string name, bool expected) =>
        Assert.AreEqual(expected, WindowsWildcard.IsMatch(expression, name, ignoreCase: true), $"'{expression}' against '{name}'");

    [TestMethod]
    public void Case_matters_on_a_case_sensitive_mount() =>
        Assert.IsFalse(WindowsWildcard.IsMatch("*.txt", "a.TXT", ignoreCase: false));
}
