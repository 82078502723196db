using System.Security.Cryptography;
using System.Text;

namespace BucketMount.Gateway.Policy;

/// <summary>
/// Binds a value the store handed out (an upload id, a continuation token) to the context it was handed out in,
/// without state: clients see "value.mac", the mac an HMAC of context and value under a key derived from the
/// gateway's secret for one purpose. A value comes back to the store only in the context it was sealed for.
/// </summary>
internal sealed class HmacSeal(byte[] gatewaySecret, string purpose)
{
    private const int MacChars = 22;
    private readonly byte[] _key = HMACSHA256.HashData(gatewaySecret, Encoding.UTF8.GetBytes(purpose));

    public string Seal(string context, string value) => value + "." + Mac(context, value);

    /// <summary>The store's value inside a sealed one; null when it was not sealed for this context.</summary>
    public string? Open(string context, string sealedValue)
    {
        var dot = sealedValue.LastIndexOf('.');
        return dot > 0 && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Mac(context, sealedValue[..dot])), Encoding.ASCII.GetBytes(sealedValue[(dot + 1)..]))
            ? sealedValue[..dot]
            : null;
    }

    private string Mac(string context, string value) =>
        Convert.ToBase64String(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(context + "\n" + value)))[..MacChars].Replace('+', '-').Replace('/', '_');
}
