using System.Globalization;
using System.Runtime.CompilerServices;
using System.Xml.Linq;
using BucketMount.Backends.Internal;

namespace BucketMount.Backends.Azure;

public sealed partial class AzureBlobObjectStore
{
    public async IAsyncEnumerable<ListEntry> ListAsync(string prefix, string? delimiter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? marker = null;
        do
        {
            var query = "restype=container&comp=list&include=metadata&maxresults=1000"
                + (prefix.Length > 0 ? "&prefix=" + Uri.EscapeDataString(prefix) : "")
                + (string.IsNullOrEmpty(delimiter) ? "" : "&delimiter=" + Uri.EscapeDataString(delimiter))
                + (marker is null ? "" : "&marker=" + Uri.EscapeDataString(marker));
            XDocument page;
            using (var response = await SendAsync(HttpMethod.Get, null, query, null, RequestKind.List, cancellationToken).ConfigureAwait(false))
            {
                await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                page = await XDocument.LoadAsync(body, LoadOptions.None, cancellationToken).ConfigureAwait(false);
            }

            var results = page.Root!;
            foreach (var entry in ParsePage(results))
            {
                yield return entry;
            }

            marker = results.Element("NextMarker")?.Value is { Length: > 0 } next ? next : null;
        }
        while (marker is not null);
    }

    private static List<ListEntry> ParsePage(XElement results)
    {
        var entries = new List<ListEntry>();
        var blobs = results.Element("Blobs");
        foreach (var blob in blobs?.Elements("Blob") ?? [])
        {
            var properties = blob.Element("Properties");
            var metadata = blob.Element("Metadata")?.Elements().ToDictionary(m => m.Name.LocalName.ToLowerInvariant(), m => m.Value, StringComparer.Ordinal)
                ?? new Dictionary<string, string>(StringComparer.Ordinal);
            entries.Add(ListEntry.ForObject(new ObjectInfo(
                NameOf(blob),
                long.Parse(properties?.Element("Content-Length")?.Value ?? "0", CultureInfo.InvariantCulture),
                Quote(properties?.Element("Etag")?.Value ?? ""),
                DateTimeOffset.Parse(properties?.Element("Last-Modified")?.Value ?? "Thu, 01 Jan 1970 00:00:00 GMT", CultureInfo.InvariantCulture),
                metadata,
                properties?.Element("Content-Type")?.Value)));
        }

        foreach (var prefix in blobs?.Elements("BlobPrefix") ?? [])
        {
            entries.Add(ListEntry.ForPrefix(NameOf(prefix)));
        }

        entries.Sort((a, b) => KeyOrder.Instance.Compare(a.Key, b.Key));
        return entries;
    }

    /// <summary>Names with characters XML cannot carry come percent-encoded, marked Encoded="true".</summary>
    private static string NameOf(XElement entry)
    {
        var name = entry.Element("Name")!;
        return (string?)name.Attribute("Encoded") == "true" ? Uri.UnescapeDataString(name.Value) : name.Value;
    }

    /// <summary>Listings give ETags bare; HEAD and PUT give them quoted. Callers compare them, so one form.</summary>
    private static string Quote(string etag) => etag.StartsWith('"') ? etag : $"\"{etag}\"";
}
