namespace BucketMount.Gateway.Signing;

/// <summary>What x-amz-content-sha256 promises about the body, and so how the gateway checks it while streaming it on.</summary>
internal enum PayloadMode
{
    /// <summary>UNSIGNED-PAYLOAD: the body is not covered (presigned URLs, clients over TLS).</summary>
    Unsigned,

    /// <summary>A hex SHA-256 of the whole body, checked before its last byte goes on.</summary>
    Sha256,

    /// <summary>STREAMING-AWS4-HMAC-SHA256-PAYLOAD: aws-chunked, each chunk signed.</summary>
    StreamingSigned,

    /// <summary>STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER: signed chunks, then a signed trailing checksum.</summary>
    StreamingSignedTrailer,

    /// <summary>STREAMING-UNSIGNED-PAYLOAD-TRAILER: plain aws-chunked chunks and a trailing checksum.</summary>
    StreamingUnsignedTrailer,
}

internal static class PayloadModes
{
    public const string UnsignedPayload = "UNSIGNED-PAYLOAD";
    public const string StreamingSigned = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
    public const string StreamingSignedTrailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
    public const string StreamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

    public static PayloadMode? Parse(string value) => value switch
    {
        UnsignedPayload => PayloadMode.Unsigned,
        StreamingSigned => PayloadMode.StreamingSigned,
        StreamingSignedTrailer => PayloadMode.StreamingSignedTrailer,
        StreamingUnsignedTrailer => PayloadMode.StreamingUnsignedTrailer,
        _ when value.Length == 64 && value.All(char.IsAsciiHexDigit) => PayloadMode.Sha256,
        _ => null,
    };

    public static bool IsStreaming(this PayloadMode mode) => mode is PayloadMode.StreamingSigned or PayloadMode.StreamingSignedTrailer or PayloadMode.StreamingUnsignedTrailer;
}
