using System.Text.Json;
using System.Text.Json.Serialization;
using BucketMount.Engine.Namespace;

namespace BucketMount.Engine.Writing;

/// <summary>
/// Writes a path into the journal so that it comes back byte for byte. JSON holds only valid Unicode: a Linux name
/// that is not UTF-8 (carried as lone surrogates, see <see cref="RawNames"/>) would come back as U+FFFD, so after a
/// crash "x\xff" and "x\xfe" would both be uploaded as "x\uFFFD", one over the other. Such a path is written as
/// "b64:" and the base64 of its bytes; every other path (they all start with '/') is written as it is.
/// </summary>
internal sealed class RawPathJsonConverter : JsonConverter<string>
{
    private const string BytesPrefix = "b64:";

    public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString() ?? throw new JsonException("a journal path is null.");
        return text.StartsWith(BytesPrefix, StringComparison.Ordinal) ? RawNames.FromBytes(Convert.FromBase64String(text[BytesPrefix.Length..])) : text;
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) =>
        writer.WriteStringValue(RawNames.HasEscapedBytes(value) ? BytesPrefix + Convert.ToBase64String(RawNames.ToBytes(value)) : value);
}
