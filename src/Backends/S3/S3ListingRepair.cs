using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Amazon.Runtime;
using Amazon.Runtime.EventStreams;
using Amazon.Runtime.Internal;
using Amazon.Runtime.Internal.Transform;
using Amazon.S3;
using Amazon.S3.Model;

namespace BucketMount.Backends.S3;

/// <summary>
/// Listings ask for encoding-type=url, because XML 1.0 cannot carry characters such as U+0001 that S3 allows in
/// keys. Servers that ignore the parameter (s3rver 3.7.1 and fauxqs 2.4.1 both do; see their listing code) send
/// such a key raw or as "&amp;#x1;", and the SDK's XML reader then fails the whole listing, naming no key. For a
/// listing answer without EncodingType that holds such a character, this handler does what the server should have
/// done before the SDK reads it: it URL-encodes the values S3 would encode (Key, Prefix, Marker, NextMarker,
/// StartAfter, Delimiter) and adds &lt;EncodingType&gt;url&lt;/EncodingType&gt;, so one decoding path serves every server.
/// Answers that are already encoded, or that XML can carry, pass untouched.
/// </summary>
internal sealed partial class S3ListingRepair : PipelineHandler
{
    private const string EncodedMarker = "<EncodingType>";

    private static readonly Lazy<bool> Registration = new(() =>
    {
        RuntimePipelineCustomizerRegistry.Instance.Register(new Customizer());
        return true;
    });

    /// <summary>Adds the handler to every S3 client made from now on (the SDK builds a client's pipeline once, at construction).</summary>
    public static void EnsureRegistered() => _ = Registration.Value;

    public override void InvokeSync(IExecutionContext executionContext)
    {
        base.InvokeSync(executionContext);
        if (ListingResponse(executionContext) is { } response)
        {
            using var original = response.ResponseBody.OpenResponse();
            using var buffer = new MemoryStream();
            original.CopyTo(buffer);
            Replace(executionContext, response, buffer);
        }
    }

    public override async Task<T> InvokeAsync<T>(IExecutionContext executionContext)
    {
        var result = await base.InvokeAsync<T>(executionContext).ConfigureAwait(false);
        if (ListingResponse(executionContext) is { } response)
        {
            using var original = await response.ResponseBody.OpenResponseAsync().ConfigureAwait(false);
            using var buffer = new MemoryStream();
            await original.CopyToAsync(buffer, executionContext.RequestContext.CancellationToken).ConfigureAwait(false);
            Replace(executionContext, response, buffer);
        }

        return result;
    }

    /// <summary>The repaired XML, or null when <paramref name="xml"/> needs nothing.</summary>
    internal static string? RepairXml(string xml)
    {
        if (xml.Contains(EncodedMarker, StringComparison.Ordinal) || !NeedsRepair(xml))
        {
            return null;
        }

        var encoded = EncodedValue().Replace(xml, m => $"<{m.Groups[1].Value}>{Uri.EscapeDataString(XmlText(m.Groups[2].Value))}</{m.Groups[1].Value}>");
        var root = RootStart().Match(encoded);
        return root.Success ? encoded.Insert(root.Index + root.Length, EncodedMarker + "url</EncodingType>") : null;
    }

    private static IWebResponseData? ListingResponse(IExecutionContext executionContext) =>
        executionContext.RequestContext.OriginalRequest is ListObjectsRequest or ListObjectsV2Request
        && executionContext.ResponseContext.HttpResponse is { IsSuccessStatusCode: true } response
            ? response
            : null;

    /// <summary>Hands the SDK the body it would have read (a listing page is at most 1,000 keys), repaired if need be.</summary>
    private static void Replace(IExecutionContext executionContext, IWebResponseData response, MemoryStream buffer)
    {
        var xml = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        var body = RepairXml(xml) is { } repaired ? Encoding.UTF8.GetBytes(repaired) : buffer.ToArray();
        executionContext.ResponseContext.HttpResponse = new BufferedResponse(response, body);
    }

    /// <summary>A character XML 1.0 cannot hold, raw or as a character reference.</summary>
    private static bool NeedsRepair(string xml)
    {
        foreach (var c in xml)
        {
            if (c < 0x20 && c is not ('\t' or '\n' or '\r') || c is '\uFFFE' or '\uFFFF')
            {
                return true;
            }
        }

        return xml.Contains("&#", StringComparison.Ordinal);
    }

    /// <summary>The text of an element as XML means it: entities and character references resolved.</summary>
    private static string XmlText(string raw) => CharacterReference().Replace(raw, m =>
    {
        var body = m.Groups[1].Value;
        return body switch
        {
            "amp" => "&",
            "lt" => "<",
            "gt" => ">",
            "quot" => "\"",
            "apos" => "'",
            _ when body.StartsWith("#x", StringComparison.OrdinalIgnoreCase) => FromCodePoint(Convert.ToInt32(body[2..], 16), m.Value),
            _ => FromCodePoint(int.Parse(body[1..], System.Globalization.CultureInfo.InvariantCulture), m.Value),
        };
    });

    /// <summary>The character a reference names; a reference to no character stays as written.</summary>
    private static string FromCodePoint(int codePoint, string reference) =>
        Rune.IsValid(codePoint) ? char.ConvertFromUtf32(codePoint) : reference;

    [GeneratedRegex("<(Key|Prefix|Marker|NextMarker|StartAfter|Delimiter)>(.*?)</\\1>", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex EncodedValue();

    [GeneratedRegex("<ListBucketResult\\b[^>]*>", RegexOptions.CultureInvariant)]
    private static partial Regex RootStart();

    [GeneratedRegex("&(amp|lt|gt|quot|apos|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});", RegexOptions.CultureInvariant)]
    private static partial Regex CharacterReference();

    private sealed class Customizer : IRuntimePipelineCustomizer
    {
        public string UniqueName => "BucketMount.S3ListingRepair";

        public void Customize(Type type, RuntimePipeline pipeline)
        {
            if (typeof(AmazonS3Client).IsAssignableFrom(type))
            {
                // Inside the unmarshaller: it runs after the response arrived and before the SDK parses it.
                pipeline.AddHandlerAfter<Unmarshaller>(new S3ListingRepair());
            }
        }
    }

    /// <summary>The response as received, with its body replaced by bytes already read.</summary>
    private sealed class BufferedResponse(IWebResponseData inner, byte[] body) : IWebResponseData, IHttpResponseBody
    {
        public long ContentLength => body.Length;

        public string ContentType => inner.ContentType;

        public HttpStatusCode StatusCode => inner.StatusCode;

        public bool IsSuccessStatusCode => inner.IsSuccessStatusCode;

        public IHttpResponseBody ResponseBody => this;

        public string[] GetHeaderNames() => inner.GetHeaderNames();

        public bool IsHeaderPresent(string headerName) => inner.IsHeaderPresent(headerName);

        public string GetHeaderValue(string headerName) => inner.GetHeaderValue(headerName);

        public IEventStreamHeader GetEventStreamHeader(string headerName) => inner.GetEventStreamHeader(headerName);

        public bool IsEventHeaderPresent(string headerName) => inner.IsEventHeaderPresent(headerName);

        public Stream OpenResponse() => new MemoryStream(body, writable: false);

        public Task<Stream> OpenResponseAsync() => Task.FromResult(OpenResponse());

        public void Dispose() => inner.ResponseBody.Dispose();
    }
}
