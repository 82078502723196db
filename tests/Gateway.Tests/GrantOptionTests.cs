using BucketMount.Gateway.Grants;

namespace BucketMount.Gateway.Tests;

/// <summary>The gateway's secret file, --ttl, and `gateway revoke`'s deny-list lines.</summary>
[TestClass]
public sealed class GrantOptionTests
{
    [TestMethod]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void The_secret_file_must_be_private_and_long_enough()
    {
        var file = Path.Combine(Path.GetTempPath(), "bm-gw-secret-" + Guid.NewGuid().ToString("N"));
        try
        {
            File.WriteAllText(file, new string('s', 40) + "\n");
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => GatewaySecret.Load(file)).Message, "chmod 600");

            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            Assert.AreEqual(40, GatewaySecret.Load(file).Length, "the trailing newline is not part of the secret");

            File.WriteAllText(file, "short");
            StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => GatewaySecret.Load(file)).Message, "shorter than 32");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [TestMethod]
    [DataRow("90s", 90)]
    [DataRow("30m", 1800)]
    [DataRow("24h", 86400)]
    [DataRow("7d", 604800)]
    [DataRow("600", 600)]
    public void Ttl_reads_seconds_minutes_hours_and_days(string text, int seconds) => Assert.AreEqual(TimeSpan.FromSeconds(seconds), GrantTtl.Parse(text));

    [TestMethod]
    [DataRow("")]
    [DataRow("-1h")]
    [DataRow("3w")]
    [DataRow("401d")]
    public void Ttl_refuses_what_is_not_a_duration_in_its_words(string text) =>
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => GrantTtl.Parse(text)).Message, "--ttl");

    [TestMethod]
    public void Revoke_adds_a_grant_id_once_and_refuses_what_is_not_one()
    {
        var denyList = Path.Combine(Path.GetTempPath(), "bm-gw-deny-" + Guid.NewGuid().ToString("N"));
        try
        {
            GrantCommands.Revoke(denyList, "0123456789ABCDEF");
            GrantCommands.Revoke(denyList, "0123456789abcdef");
            CollectionAssert.AreEqual(new[] { "0123456789abcdef" }, File.ReadAllLines(denyList));
            Assert.ThrowsExactly<ArgumentException>(() => GrantCommands.Revoke(denyList, "BMG1AAAA"));
        }
        finally
        {
            File.Delete(denyList);
        }
    }
}
