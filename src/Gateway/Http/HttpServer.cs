using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace BucketMount.Gateway.Http;

/// <summary>One HTTP/1.1 request as the server hands it over: handled fully (body read, response written) before returning.</summary>
internal delegate Task RequestHandler(HttpRequestHead head, RequestBody body, HttpResponseWriter response, CancellationToken cancellationToken);

/// <summary>
/// A small HTTP/1.1 server over sockets (TCP or a Unix socket, optionally TLS): persistent connections, chunked and
/// Content-Length bodies, 100-continue. Plain sockets keep the gateway inside the native AOT CLI without ASP.NET Core.
/// </summary>
internal sealed class HttpServer(ListenAddress address, X509Certificate2? certificate, RequestHandler handler, ILogger logger) : IAsyncDisposable
{
    private readonly Socket _socket = new(address.EndPoint.AddressFamily, SocketType.Stream, address.IsUnix ? ProtocolType.Unspecified : ProtocolType.Tcp);
    private readonly CancellationTokenSource _stop = new();
    private Task? _accepting;

    /// <summary>The bound endpoint (with the real port when --listen gave port 0).</summary>
    public System.Net.EndPoint? LocalEndPoint => _socket.LocalEndPoint;

    public void Start()
    {
        if (address.UnixPath is { } path && File.Exists(path))
        {
            File.Delete(path); // a socket left by a gateway that died; bind fails on it otherwise
        }

        _socket.Bind(address.EndPoint);
        _socket.Listen(512);
        _accepting = AcceptLoopAsync(_stop.Token);
    }

    private async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    return;
                }

                logger.LogWarning("accept failed: {Message}", e.Message);
                continue;
            }

            if (!address.IsUnix)
            {
                client.NoDelay = true;
            }

            _ = ServeAsync(client, cancellationToken);
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken cancellationToken)
    {
        await using var network = new NetworkStream(client, ownsSocket: true);
        Stream stream = network;
        try
        {
            if (certificate is not null)
            {
                var tls = new SslStream(network);
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, cancellationToken).ConfigureAwait(false);
                stream = tls;
            }

            var reader = new BufferedReader(stream);
            while (await HttpHeadReader.ReadAsync(reader, cancellationToken).ConfigureAwait(false) is { } head)
            {
                var body = RequestBody.For(head, reader, ct => stream.WriteAsync("HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray(), ct));
                var response = new HttpResponseWriter(stream);
                await handler(head, body, response, cancellationToken).ConfigureAwait(false);
                if (!head.KeepAlive || !body.Complete || !response.Started)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException or SocketException or OperationCanceledException or System.Security.Authentication.AuthenticationException or GatewayRefusal)
        {
            // The client went away or spoke something other than HTTP/1.1: its connection ends, the gateway goes on.
            logger.LogDebug("connection closed: {Message}", e.Message);
        }
        finally
        {
            if (stream != network)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        if (_accepting is not null)
        {
            await _accepting.ConfigureAwait(false);
        }

        if (address.UnixPath is { } path)
        {
            File.Delete(path);
        }

        _stop.Dispose();
    }
}
