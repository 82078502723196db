using System.Net.Sockets;
using Amazon.Runtime;

namespace BucketMount.Backends.S3;

/// <summary>
/// HTTP over a Unix-domain socket, for <c>endpoint=unix:///path/to.sock</c>: a gateway's socket bind-mounted into a
/// sandbox that has no network. Requests are addressed to http://localhost (what the signature's Host says); every
/// connection goes to the socket, whatever the host.
/// </summary>
internal sealed class UnixSocketHttpClientFactory(string socketPath) : HttpClientFactory
{
    public const string Scheme = "unix://";

    /// <summary>The URL requests carry; the socket decides where they go.</summary>
    public const string ServiceUrl = "http://localhost";

    /// <summary>The socket path of a unix:///path endpoint, or null when the endpoint is not one.</summary>
    public static string? SocketPath(string endpoint) =>
        endpoint.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) ? Uri.UnescapeDataString(endpoint[Scheme.Length..]) : null;

    public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        AutomaticDecompression = System.Net.DecompressionMethods.None,
        ConnectCallback = async (_, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    {
        Timeout = Timeout.InfiniteTimeSpan, // the SDK times each request itself (RequestTimeout)
    };

    // One client per config is what the SDK caches by; the socket path makes configs with different sockets differ.
    public override string GetConfigUniqueString(IClientConfig clientConfig) => "unix:" + socketPath + ":" + base.GetConfigUniqueString(clientConfig);
}
