using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace BucketMount.Gateway.Grants;

/// <summary>
/// Stateless grants. The access key id is "BMG1" + base64url(grant fields + a 128-bit HMAC of them under a key derived
/// from the gateway's secret), so a sandbox cannot widen, extend or invent one; the grant's secret is an HMAC of that
/// access key id under a second derived key, so the gateway recomputes it for each request and stores nothing.
/// </summary>
internal sealed class GrantCodec
{
    public const string KeyPrefix = "BMG1";
    private const int MacLength = 16;
    private const int MaxAccessKeyLength = 512;
    private const byte ReadOnlyFlag = 1;
    private const byte RootedFlag = 2;
    private readonly byte[] _idKey;
    private readonly byte[] _secretKey;

    public GrantCodec(byte[] gatewaySecret)
    {
        _idKey = HMACSHA256.HashData(gatewaySecret, "bucketmount gateway access key id v1"u8);
        _secretKey = HMACSHA256.HashData(gatewaySecret, "bucketmount gateway grant secret v1"u8);
    }

    public (string AccessKeyId, string Secret) Mint(Grant grant)
    {
        var bucket = Encoding.UTF8.GetBytes(grant.Bucket);
        var prefix = Encoding.UTF8.GetBytes(grant.Prefix);
        if (bucket.Length > 255 || prefix.Length > 1024)
        {
            throw new ArgumentException("--bucket must be at most 255 bytes and --prefix at most 1024.");
        }

        var payload = new byte[1 + 8 + 8 + 1 + bucket.Length + 2 + prefix.Length];
        payload[0] = (byte)((grant.ReadOnly ? ReadOnlyFlag : 0) | (grant.Rooted ? RootedFlag : 0));
        Convert.FromHexString(grant.Id).CopyTo(payload, 1);
        BinaryPrimitives.WriteInt64BigEndian(payload.AsSpan(9), grant.Expires.ToUnixTimeSeconds());
        payload[17] = (byte)bucket.Length;
        bucket.CopyTo(payload, 18);
        BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(18 + bucket.Length), (ushort)prefix.Length);
        prefix.CopyTo(payload, 20 + bucket.Length);

        var accessKeyId = KeyPrefix + Base64Url([.. payload, .. Mac(payload)]);
        if (accessKeyId.Length > MaxAccessKeyLength)
        {
            throw new ArgumentException($"--prefix and --bucket together are too long for an access key id (at most {MaxAccessKeyLength} characters): use a shorter prefix.");
        }

        return (accessKeyId, SecretFor(accessKeyId));
    }

    /// <summary>The grant an access key id carries; null when it is not one this gateway's secret issued.</summary>
    public Grant? Read(string accessKeyId)
    {
        if (!accessKeyId.StartsWith(KeyPrefix, StringComparison.Ordinal) || accessKeyId.Length > MaxAccessKeyLength)
        {
            return null;
        }

        byte[] bytes;
        try
        {
            bytes = FromBase64Url(accessKeyId[KeyPrefix.Length..]);
        }
        catch (FormatException)
        {
            return null;
        }

        if (bytes.Length < 20 + MacLength)
        {
            return null;
        }

        var payload = bytes.AsSpan(0, bytes.Length - MacLength);
        if (!CryptographicOperations.FixedTimeEquals(Mac(payload), bytes.AsSpan(bytes.Length - MacLength)))
        {
            return null;
        }

        var bucketLength = payload[17];
        if (payload.Length < 20 + bucketLength || payload.Length != 20 + bucketLength + BinaryPrimitives.ReadUInt16BigEndian(payload[(18 + bucketLength)..]))
        {
            return null;
        }

        return new Grant
        {
            ReadOnly = (payload[0] & ReadOnlyFlag) != 0,
            Rooted = (payload[0] & RootedFlag) != 0,
            Id = Convert.ToHexStringLower(payload.Slice(1, 8)),
            Expires = DateTimeOffset.FromUnixTimeSeconds(BinaryPrimitives.ReadInt64BigEndian(payload[9..])),
            Bucket = Encoding.UTF8.GetString(payload.Slice(18, bucketLength)),
            Prefix = Encoding.UTF8.GetString(payload[(20 + bucketLength)..]),
        };
    }

    /// <summary>The grant's secret access key; only meaningful for an id <see cref="Read"/> accepts.</summary>
    public string SecretFor(string accessKeyId) => Base64Url(HMACSHA256.HashData(_secretKey, Encoding.UTF8.GetBytes(accessKeyId)));

    public static string NewGrantId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    private byte[] Mac(ReadOnlySpan<byte> payload) => HMACSHA256.HashData(_idKey, payload)[..MacLength];

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded + new string('=', (4 - padded.Length % 4) % 4));
    }
}
