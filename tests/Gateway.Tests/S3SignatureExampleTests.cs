using System.Text;
using BucketMount.Gateway.Http;
using BucketMount.Gateway.Signing;

namespace BucketMount.Gateway.Tests;

/// <summary>
/// The worked examples of Amazon S3's SigV4 documentation (examplebucket, 2013-05-24), written here from their
/// published requests and signatures, through the gateway's whole verifier: header form, presigned form, and the
/// aws-chunked bodies with signed chunks and with a signed trailing checksum.
/// </summary>
[TestClass]
public sealed class S3SignatureExampleTests
{
    private const string AccessKey = "AKIAIOSFODNN7EXAMPLE";
    private const string Secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    private const string Timestamp = "20130524T000000Z";
    private const string Credential = "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request";

    private static SigV4Verifier Verifier(string now = Timestamp) =>
        new(id => id == AccessKey ? Secret : null, FixedClock.At(now));

    [TestMethod]
    public void Get_object_with_range_verifies()
    {
        var request = RawRequests.Parse("GET /test.txt HTTP/1.1", "Host: examplebucket.s3.amazonaws.com", "Range: bytes=0-9",
            "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "x-amz-date: 20130524T000000Z",
            $"Authorization: AWS4-HMAC-SHA256 {Credential},SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");

        Assert.AreEqual(PayloadMode.Sha256, Verifier().Verify(request).Payload);
    }

    [TestMethod]
    public void Put_object_with_date_and_storage_class_verifies_and_a_changed_header_does_not()
    {
        string[] lines =
        [
            "PUT /test%24file.text HTTP/1.1", "Host: examplebucket.s3.amazonaws.com", "Date: Fri, 24 May 2013 00:00:00 GMT",
            "x-amz-date: 20130524T000000Z", "x-amz-storage-class: REDUCED_REDUNDANCY",
            "x-amz-content-sha256: 44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
            $"Authorization: AWS4-HMAC-SHA256 {Credential},SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
        ];
        Assert.AreEqual("44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072", Verifier().Verify(RawRequests.Parse(lines)).PayloadSha256);

        lines[4] = "x-amz-storage-class: STANDARD";
        var refusal = Assert.ThrowsExactly<GatewayRefusal>(() => Verifier().Verify(RawRequests.Parse(lines)));
        Assert.AreEqual("SignatureDoesNotMatch", refusal.Error.Code);
    }

    [TestMethod]
    [DataRow("/?lifecycle", "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")]
    [DataRow("/?max-keys=2&prefix=J", "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")]
    public void Bucket_requests_with_queries_verify(string target, string signature)
    {
        var request = RawRequests.Parse($"GET {target} HTTP/1.1", "Host: examplebucket.s3.amazonaws.com", "x-amz-date: 20130524T000000Z",
            "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            $"Authorization: AWS4-HMAC-SHA256 {Credential},SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature={signature}");

        Assert.AreEqual(AccessKey, Verifier().Verify(request).AccessKeyId);
    }

    private const string PresignedTarget = "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request" +
        "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";

    [TestMethod]
    public void Presigned_url_verifies_within_its_expiry_and_is_refused_after_it()
    {
        var request = RawRequests.Parse($"GET {PresignedTarget} HTTP/1.1", "Host: examplebucket.s3.amazonaws.com");
        Assert.AreEqual(PayloadMode.Unsigned, Verifier("20130524T235959Z").Verify(request).Payload);

        var refusal = Assert.ThrowsExactly<GatewayRefusal>(() => Verifier("20130525T000001Z").Verify(request));
        Assert.AreEqual("AccessDenied", refusal.Error.Code);
        StringAssert.Contains(refusal.ClientMessage, "expired");
    }

    [TestMethod]
    public void Header_request_outside_fifteen_minutes_is_too_skewed()
    {
        var request = RawRequests.Parse("GET /test.txt HTTP/1.1", "Host: examplebucket.s3.amazonaws.com", "Range: bytes=0-9",
            "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "x-amz-date: 20130524T000000Z",
            $"Authorization: AWS4-HMAC-SHA256 {Credential},SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");

        Verifier("20130524T001400Z").Verify(request);
        Assert.AreEqual("RequestTimeTooSkewed", Assert.ThrowsExactly<GatewayRefusal>(() => Verifier("20130524T001600Z").Verify(request)).Error.Code);
        Assert.AreEqual("RequestTimeTooSkewed", Assert.ThrowsExactly<GatewayRefusal>(() => Verifier("20130523T234400Z").Verify(request)).Error.Code);
    }

    [TestMethod]
    public void Unsigned_amz_header_is_refused()
    {
        var request = RawRequests.Parse("GET /test.txt HTTP/1.1", "Host: examplebucket.s3.amazonaws.com", "Range: bytes=0-9",
            "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "x-amz-date: 20130524T000000Z",
            "x-amz-copy-source: /examplebucket/other",
            $"Authorization: AWS4-HMAC-SHA256 {Credential},SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");

        StringAssert.Contains(Assert.ThrowsExactly<GatewayRefusal>(() => Verifier().Verify(request)).ClientMessage, "x-amz-copy-source");
    }

    private static readonly string[] StreamingHead =
    [
        "PUT /examplebucket/chunkObject.txt HTTP/1.1", "Host: s3.amazonaws.com", "x-amz-date: 20130524T000000Z",
        "x-amz-storage-class: REDUCED_REDUNDANCY", "Content-Encoding: aws-chunked", "x-amz-decoded-content-length: 66560",
        "Content-Length: 66824", "x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        $"Authorization: AWS4-HMAC-SHA256 {Credential},SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
    ];

    private static readonly string[] StreamingChunkSignatures =
    [
        "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
        "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
        "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
    ];

    [TestMethod]
    public async Task Signed_chunks_decode_to_the_object()
    {
        var verified = Verifier().Verify(RawRequests.Parse(StreamingHead));
        var body = ChunkedBody(StreamingChunkSignatures, trailer: null);
        Assert.AreEqual(66824, body.Length, "the example's Content-Length");

        var decoded = await ReadAllAsync(new AwsChunkedStream(new MemoryStream(body), verified, 66560, null));

        Assert.AreEqual(66560, decoded.Length);
        Assert.IsTrue(decoded.All(b => b == (byte)'a'));
    }

    [TestMethod]
    public async Task Changed_chunk_is_refused_before_the_last_byte_is_released()
    {
        var verified = Verifier().Verify(RawRequests.Parse(StreamingHead));
        var body = ChunkedBody(StreamingChunkSignatures, trailer: null);
        body[^100] = (byte)'b'; // inside the second (last) data chunk: the final chunk and CRLFs take the last 88 bytes

        var stream = new AwsChunkedStream(new MemoryStream(body), verified, 66560, null);
        var released = 0L;
        var refusal = await Assert.ThrowsExactlyAsync<GatewayRefusal>(async () =>
        {
            var buffer = new byte[8192];
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                released += read;
            }
        });

        Assert.AreEqual("SignatureDoesNotMatch", refusal.Error.Code);
        Assert.AreEqual(65536, released, "only the first, verified chunk went on");
    }

    [TestMethod]
    public async Task Signed_chunks_with_a_signed_trailing_crc32c_decode_and_a_wrong_checksum_is_refused()
    {
        string[] head =
        [
            "PUT /examplebucket/chunkObject.txt HTTP/1.1", "Host: s3.amazonaws.com", "x-amz-date: 20130524T000000Z",
            "x-amz-storage-class: REDUCED_REDUNDANCY", "Content-Encoding: aws-chunked", "x-amz-decoded-content-length: 66560",
            "x-amz-trailer: x-amz-checksum-crc32c", "x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
            $"Authorization: AWS4-HMAC-SHA256 {Credential},SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer,Signature=106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e",
        ];
        string[] chunks =
        [
            "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
            "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
            "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
        ];
        var verified = Verifier().Verify(RawRequests.Parse(head));
        const string trailer = "x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n";

        var decoded = await ReadAllAsync(new AwsChunkedStream(new MemoryStream(ChunkedBody(chunks, trailer)), verified, 66560, "x-amz-checksum-crc32c"));
        Assert.AreEqual(66560, decoded.Length);

        var wrong = trailer.Replace("sOO8/Q==", "AAAAAA==", StringComparison.Ordinal);
        var refusal = await Assert.ThrowsExactlyAsync<GatewayRefusal>(() =>
            ReadAllAsync(new AwsChunkedStream(new MemoryStream(ChunkedBody(chunks, wrong)), Verifier().Verify(RawRequests.Parse(head)), 66560, "x-amz-checksum-crc32c")));
        Assert.AreEqual("SignatureDoesNotMatch", refusal.Error.Code, "the trailer signature covers the checksum");
    }

    [TestMethod]
    public async Task Unsigned_chunks_with_a_trailing_crc32_are_checked_against_the_data()
    {
        var data = Encoding.ASCII.GetBytes("hello world");
        var head = RawRequests.Parse("PUT /b/k HTTP/1.1", "Host: h", "x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER");
        var verified = new VerifiedSignature
        {
            Parts = new SignatureParts { AccessKeyId = "a", Date = "20130524", Region = "us-east-1", Service = "s3", SignedHeaders = ["host"], Signature = new string('0', 64), Timestamp = Timestamp },
            SigningKey = new byte[32], Payload = PayloadMode.StreamingUnsignedTrailer,
        };
        Assert.IsNotNull(head);

        // CRC32 of "hello world" is 0x0d4a1185.
        var good = Encoding.ASCII.GetBytes("b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n");
        CollectionAssert.AreEqual(data, await ReadAllAsync(new AwsChunkedStream(new MemoryStream(good), verified, 11, "x-amz-checksum-crc32")));

        var bad = Encoding.ASCII.GetBytes("b\r\nhello World\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n");
        var refusal = await Assert.ThrowsExactlyAsync<GatewayRefusal>(() => ReadAllAsync(new AwsChunkedStream(new MemoryStream(bad), verified, 11, "x-amz-checksum-crc32")));
        Assert.AreEqual("BadDigest", refusal.Error.Code);
    }

    private static byte[] ChunkedBody(string[] signatures, string? trailer)
    {
        var body = new MemoryStream();
        int[] sizes = [65536, 1024, 0];
        for (var i = 0; i < sizes.Length; i++)
        {
            body.Write(Encoding.ASCII.GetBytes($"{sizes[i]:x};chunk-signature={signatures[i]}\r\n"));
            body.Write(Enumerable.Repeat((byte)'a', sizes[i]).ToArray());
            if (sizes[i] > 0)
            {
                body.Write("\r\n"u8);
            }
        }

        body.Write(Encoding.ASCII.GetBytes(trailer ?? ""));
        body.Write("\r\n"u8);
        return body.ToArray();
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        var result = new MemoryStream();
        await stream.CopyToAsync(result);
        return result.ToArray();
    }
}
