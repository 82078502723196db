using System.Buffers.Binary;
using System.Security.Cryptography;

namespace BucketMount.Gateway.Signing;

/// <summary>
/// The checksum an aws-chunked body announces in x-amz-trailer (CRC32, CRC32C, CRC64NVME, SHA-1, SHA-256), computed
/// over the decoded data as it streams, so a body the sandbox's client checksummed is checked before it goes on.
/// </summary>
internal sealed class TrailingChecksum
{
    private readonly string _header;
    private readonly IncrementalHash? _hash;
    private readonly uint[]? _crc32Table;
    private readonly ulong[]? _crc64Table;
    private uint _crc32 = 0xFFFFFFFF;
    private ulong _crc64 = ulong.MaxValue;

    private TrailingChecksum(string header, IncrementalHash? hash, uint[]? crc32Table, ulong[]? crc64Table)
    {
        _header = header;
        _hash = hash;
        _crc32Table = crc32Table;
        _crc64Table = crc64Table;
    }

    /// <summary>The trailer header this checksum arrives in, e.g. x-amz-checksum-crc32.</summary>
    public string Header => _header;

    /// <summary>The checksum for an x-amz-trailer value; null when the trailer is not a checksum this gateway knows.</summary>
    public static TrailingChecksum? For(string trailerHeader) => trailerHeader.Trim().ToLowerInvariant() switch
    {
        "x-amz-checksum-crc32" => new("x-amz-checksum-crc32", null, Crc32Table.Value, null),
        "x-amz-checksum-crc32c" => new("x-amz-checksum-crc32c", null, Crc32CTable.Value, null),
        "x-amz-checksum-crc64nvme" => new("x-amz-checksum-crc64nvme", null, null, Crc64NvmeTable.Value),
        "x-amz-checksum-sha1" => new("x-amz-checksum-sha1", IncrementalHash.CreateHash(HashAlgorithmName.SHA1), null, null),
        "x-amz-checksum-sha256" => new("x-amz-checksum-sha256", IncrementalHash.CreateHash(HashAlgorithmName.SHA256), null, null),
        _ => null,
    };

    public void Append(ReadOnlySpan<byte> data)
    {
        if (_hash is not null)
        {
            _hash.AppendData(data);
        }
        else if (_crc32Table is not null)
        {
            foreach (var b in data)
            {
                _crc32 = _crc32Table[(_crc32 ^ b) & 0xFF] ^ (_crc32 >> 8);
            }
        }
        else
        {
            foreach (var b in data)
            {
                _crc64 = _crc64Table![(_crc64 ^ b) & 0xFF] ^ (_crc64 >> 8);
            }
        }
    }

    /// <summary>The checksum as S3 writes it: base64 of the big-endian value or digest.</summary>
    public string Base64Value()
    {
        if (_hash is not null)
        {
            return Convert.ToBase64String(_hash.GetHashAndReset());
        }

        if (_crc32Table is not null)
        {
            var crc = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(crc, ~_crc32);
            return Convert.ToBase64String(crc);
        }

        var crc64 = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(crc64, ~_crc64);
        return Convert.ToBase64String(crc64);
    }

    private static readonly Lazy<uint[]> Crc32Table = new(() => Table32(0xEDB88320));
    private static readonly Lazy<uint[]> Crc32CTable = new(() => Table32(0x82F63B78));
    private static readonly Lazy<ulong[]> Crc64NvmeTable = new(() => Table64(0x9A6C9329AC4BC9B5));

    private static uint[] Table32(uint polynomial)
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var crc = i;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ polynomial : crc >> 1;
            }

            table[i] = crc;
        }

        return table;
    }

    private static ulong[] Table64(ulong polynomial)
    {
        var table = new ulong[256];
        for (ulong i = 0; i < 256; i++)
        {
            var crc = i;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ polynomial : crc >> 1;
            }

            table[i] = crc;
        }

        return table;
    }
}
