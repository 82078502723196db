using System.Security.Cryptography;
using System.Text;

namespace BucketMount.Backends.Tests.Contract;

/// <summary>
/// The one contract every store must keep, written once. Each concrete store has a subclass that gives a fresh,
/// empty store per test and says which emulator gaps apply (the same cases run everywhere; a gap skips only the
/// assertion the emulator cannot check, and says so).
/// </summary>
public abstract partial class ObjectStoreContractTests
{
    protected static readonly TimeSpan TestTimeout = TimeSpan.FromMinutes(2);

    public TestContext TestContext { get; set; } = null!;

    /// <summary>A fresh, empty store (new bucket, container, folder or name) for one test.</summary>
    protected abstract Task<IObjectStore> CreateStoreAsync(CancellationToken cancellationToken);

    /// <summary>Emulator gaps: what this target cannot check (real S3 and Azure have none of them).</summary>
    protected virtual ContractGaps Gaps => ContractGaps.None;

    /// <summary>Largest part size the target accepts in one request body (fauxqs rejects bodies over 11 MiB).</summary>
    protected virtual long MultipartPartSize => 8L * 1024 * 1024;

    protected CancellationToken Token => TestContext.CancellationTokenSource.Token;

    protected static byte[] RandomBytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    protected static async Task<ObjectInfo> PutBytesAsync(IObjectStore store, string key, byte[] data, PutOptions? options = null, CancellationToken cancellationToken = default)
    {
        using var stream = new MemoryStream(data, writable: false);
        return await store.PutAsync(key, stream, options, cancellationToken);
    }

    protected static async Task<byte[]> ReadAllAsync(IObjectStore store, string key, CancellationToken cancellationToken = default)
    {
        using var buffer = new MemoryStream();
        await store.ReadToAsync(key, 0, null, buffer, null, cancellationToken);
        return buffer.ToArray();
    }

    protected static async Task<List<ListEntry>> ListAllAsync(IObjectStore store, string prefix, string? delimiter, CancellationToken cancellationToken = default)
    {
        var result = new List<ListEntry>();
        await foreach (var entry in store.ListAsync(prefix, delimiter, cancellationToken))
        {
            result.Add(entry);
        }

        return result;
    }

    protected static string Md5Hex(byte[] data) => Convert.ToHexStringLower(MD5.HashData(data));

    protected static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}

/// <summary>Features an emulator lacks that the real store has; each is named in the README.</summary>
[Flags]
public enum ContractGaps
{
    None = 0,

    /// <summary>PUT ignores If-Match / If-None-Match (s3rver).</summary>
    NoConditionalWrites = 1,

    /// <summary>GET ignores If-Match (s3rver).</summary>
    NoConditionalReads = 2,

    /// <summary>Aborting a multipart upload is not implemented, so parts linger (s3rver).</summary>
    NoMultipartAbort = 4,

    /// <summary>A delimited listing omits a prefix that holds only deeper prefixes (s3rver: g/h/i.txt hides g/).</summary>
    DropsPrefixOfOnlyDeeperPrefixes = 8,

    /// <summary>A key segment near 255 bytes crashes the emulator (s3rver).</summary>
    NoLongKeySegments = 16,

    /// <summary>Keys differing only in case are one object (the local store on a case-insensitive file system).</summary>
    CaseInsensitiveKeys = 32,

    /// <summary>A ranged GET of an empty object answers 206 with a body that never comes (s3rver; S3 answers 416).</summary>
    BrokenRangeOnEmptyObject = 64,

    /// <summary>Keys with "." or ".." segments or "//" are stored under a normalized key (s3rver's router).</summary>
    NormalizesDotSegments = 128,

    /// <summary>
    /// Listing unfinished multipart uploads is not implemented: s3rver refuses it (405), fauxqs answers it with an
    /// empty object listing. The S3 code is checked against a loopback responder instead (S3UploadListingTests).
    /// </summary>
    NoUploadListing = 256,

    /// <summary>A key with a control character such as U+0001 is refused with 500 InternalError (Azurite).</summary>
    NoControlCharactersInKeys = 512,
}
