using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace BucketMount.Backends.Azure;

/// <summary>
/// Signs Blob service requests with Shared Key: HMAC-SHA256 of the canonical string (verb, standard headers,
/// x-ms-* headers, account and path, query parameters), as Azure and Azurite check it.
/// </summary>
internal sealed class SharedKeySigner(string account, string base64Key)
{
    private readonly byte[] _key = Convert.FromBase64String(base64Key);

    public void Sign(HttpRequestMessage request)
    {
        var signature = Convert.ToBase64String(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(StringToSign(request))));
        request.Headers.Authorization = new AuthenticationHeaderValue("SharedKey", $"{account}:{signature}");
    }

    internal string StringToSign(HttpRequestMessage request)
    {
        var content = request.Content?.Headers;
        var length = content?.ContentLength is { } l and > 0 ? l.ToString(System.Globalization.CultureInfo.InvariantCulture) : "";
        var builder = new StringBuilder();
        builder.Append(request.Method.Method).Append('\n');
        builder.Append(Header(content, "Content-Encoding")).Append('\n');
        builder.Append(Header(content, "Content-Language")).Append('\n');
        builder.Append(length).Append('\n');
        builder.Append(Header(content, "Content-MD5")).Append('\n');
        builder.Append(Header(content, "Content-Type")).Append('\n');
        builder.Append('\n'); // Date: x-ms-date is used instead.
        builder.Append(Header(request.Headers, "If-Modified-Since")).Append('\n');
        builder.Append(Header(request.Headers, "If-Match")).Append('\n');
        builder.Append(Header(request.Headers, "If-None-Match")).Append('\n');
        builder.Append(Header(request.Headers, "If-Unmodified-Since")).Append('\n');
        builder.Append(Header(request.Headers, "Range")).Append('\n');
        foreach (var (name, value) in request.Headers
            .Where(h => h.Key.StartsWith("x-ms-", StringComparison.OrdinalIgnoreCase))
            .Select(h => (Name: h.Key.ToLowerInvariant(), Value: string.Join(',', h.Value).Trim()))
            .OrderBy(h => h.Name, HeaderNameOrder.Instance))
        {
            builder.Append(name).Append(':').Append(value).Append('\n');
        }

        builder.Append('/').Append(account).Append(request.RequestUri!.AbsolutePath);
        foreach (var (name, value) in QueryParameters(request.RequestUri))
        {
            builder.Append('\n').Append(name).Append(':').Append(value);
        }

        return builder.ToString();
    }

    private static IEnumerable<(string Name, string Value)> QueryParameters(Uri uri) =>
        uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .Select(pair => (Name: Uri.UnescapeDataString(pair[0]).ToLowerInvariant(), Value: pair.Length > 1 ? Uri.UnescapeDataString(pair[1]) : ""))
            .GroupBy(p => p.Name)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (g.Key, string.Join(',', g.Select(p => p.Value).Order(StringComparer.Ordinal))));

    private static string Header(HttpHeaders? headers, string name) =>
        headers is not null && headers.TryGetValues(name, out var values) ? string.Join(',', values) : "";

    /// <summary>
    /// The order the service sorts canonical x-ms- headers in. It is not ordinal: Azure (and Azurite, with
    /// JavaScript's localeCompare) collate '_' and '-' before digits and digits before letters, so "x-ms-meta-a_1"
    /// comes before "x-ms-meta-a1" (ordinal puts it after, and Azurite answers 403). Our header names hold only
    /// lower-case letters, digits, '-' and '_', where this order and the services' agree; a shorter prefix comes first.
    /// </summary>
    internal sealed class HeaderNameOrder : IComparer<string>
    {
        public static readonly HeaderNameOrder Instance = new();

        public int Compare(string? x, string? y)
        {
            var a = x.AsSpan();
            var b = y.AsSpan();
            var common = Math.Min(a.Length, b.Length);
            for (var i = 0; i < common; i++)
            {
                if (a[i] != b[i])
                {
                    return Rank(a[i]).CompareTo(Rank(b[i]));
                }
            }

            return a.Length.CompareTo(b.Length);
        }

        private static int Rank(char c) => c switch
        {
            '_' => 1,
            '-' => 2,
            >= '0' and <= '9' => 0x100 + c,
            >= 'a' and <= 'z' => 0x200 + c,
            _ => 0x400 + c,
        };
    }
}
