using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace BucketMount.Gateway.Http;

/// <summary>--listen: 127.0.0.1:9000, [::1]:9000, 0.0.0.0:9000 (a bridge), or unix:/path/gw.sock (bind-mounted into a container).</summary>
internal sealed record ListenAddress(EndPoint EndPoint, string Text)
{
    public bool IsUnix => EndPoint is UnixDomainSocketEndPoint;

    public string? UnixPath => IsUnix ? Text["unix:".Length..] : null;

    public static ListenAddress Parse(string text)
    {
        if (text.StartsWith("unix:", StringComparison.Ordinal))
        {
            var path = text["unix:".Length..];
            if (!Path.IsPathFullyQualified(path))
            {
                throw new ArgumentException($"--listen {text}: a Unix socket needs an absolute path, e.g. unix:/run/bucketmount/gw.sock.");
            }

            return new ListenAddress(new UnixDomainSocketEndPoint(path), text);
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535
            || !IPAddress.TryParse(text[..colon].Trim('[', ']'), out var address))
        {
            throw new ArgumentException($"--listen {text} is not ADDRESS:PORT (e.g. 127.0.0.1:9000) or unix:/absolute/path.sock.");
        }

        return new ListenAddress(new IPEndPoint(address, port), text);
    }
}
