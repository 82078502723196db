using System.Text;
using BucketMount.Gateway.Grants;

namespace BucketMount.Gateway.Tests;

/// <summary>Stateless grants: everything is in the access key id, and none of it can be changed or forged.</summary>
[TestClass]
public sealed class GrantCodecTests
{
    private static readonly GrantCodec Codec = new(Encoding.UTF8.GetBytes("first-gateway-secret-0123456789abcdefghij"));

    private static Grant Sample(bool readOnly = false, bool rooted = false) => new()
    {
        Id = "0123456789abcdef", Bucket = "my-bucket", Prefix = "users/123/", ReadOnly = readOnly, Rooted = rooted,
        Expires = DateTimeOffset.FromUnixTimeSeconds(2_000_000_000),
    };

    [TestMethod]
    public void A_minted_grant_reads_back_whole_and_its_secret_is_derived_again()
    {
        var (id, secret) = Codec.Mint(Sample(readOnly: true));

        Assert.AreEqual(Sample(readOnly: true), Codec.Read(id));
        Assert.AreEqual(secret, Codec.SecretFor(id));
        Assert.AreEqual(Sample(rooted: true), Codec.Read(Codec.Mint(Sample(rooted: true)).AccessKeyId));
        Assert.IsFalse(id.Contains('/') || id.Contains('+') || id.Contains('='), "an access key id must survive the Credential= scope and URLs: " + id);
    }

    [TestMethod]
    public void Every_changed_byte_of_the_access_key_id_is_refused()
    {
        var (id, _) = Codec.Mint(Sample(readOnly: true));
        var body = Convert.FromBase64String(Pad(id[GrantCodec.KeyPrefix.Length..]));
        for (var i = 0; i < body.Length; i++)
        {
            var changed = (byte[])body.Clone();
            changed[i] ^= 1; // e.g. byte 0 turns read-only into read-write, later ones widen the prefix or the expiry
            Assert.IsNull(Codec.Read(GrantCodec.KeyPrefix + Unpad(Convert.ToBase64String(changed))), $"byte {i}");
        }
    }

    [TestMethod]
    public void A_grant_of_another_gateway_is_unknown_here_and_grants_have_different_secrets()
    {
        var other = new GrantCodec(Encoding.UTF8.GetBytes("second-gateway-secret-0123456789abcdefghi"));
        var (id, secret) = other.Mint(Sample());

        Assert.IsNull(Codec.Read(id));
        Assert.AreNotEqual(secret, Codec.SecretFor(id));
        Assert.AreNotEqual(Codec.Mint(Sample()).Secret, Codec.Mint(Sample() with { Id = "fedcba9876543210" }).Secret);
        Assert.IsNull(Codec.Read("AKIAIOSFODNN7EXAMPLE"));
        Assert.IsNull(Codec.Read("BMG1!!notbase64"));
    }

    [TestMethod]
    public void A_prefix_too_long_for_an_access_key_id_is_refused_when_minted()
    {
        var refusal = Assert.ThrowsExactly<ArgumentException>(() => Codec.Mint(Sample() with { Prefix = new string('p', 600) + "/" }));
        StringAssert.Contains(refusal.Message, "--prefix");
    }

    private static string Pad(string text)
    {
        var b64 = text.Replace('-', '+').Replace('_', '/');
        return b64 + new string('=', (4 - b64.Length % 4) % 4);
    }

    private static string Unpad(string b64) => b64.TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
