using System.Net;
using System.Text;

namespace BucketMount.Backends.Tests.S3;

/// <summary>An HTTP server on 127.0.0.1 that answers every request with the XML the handler returns.</summary>
internal sealed class LoopbackResponder : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    private LoopbackResponder(Func<HttpListenerRequest, string> handler)
        : this(request => (200, handler(request), new Dictionary<string, string>()))
    {
    }

    private LoopbackResponder(Func<HttpListenerRequest, (int Status, string Body, IReadOnlyDictionary<string, string> Headers)> handler)
    {
        var port = FreePort();
        Endpoint = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Endpoint + "/");
        _listener.Start();
        _loop = Task.Run(async () =>
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                var (status, text, headers) = handler(context.Request);
                var body = Encoding.UTF8.GetBytes(text);
                context.Response.StatusCode = status;
                foreach (var (name, value) in headers)
                {
                    context.Response.AddHeader(name, value);
                }

                context.Response.ContentType = "application/xml";
                context.Response.ContentLength64 = body.Length;
                await context.Response.OutputStream.WriteAsync(body);
                context.Response.Close();
            }
        });
    }

    public string Endpoint { get; }

    public static LoopbackResponder Start(Func<HttpListenerRequest, string> handler) => new(handler);

    /// <summary>A responder that also chooses each answer's status and headers.</summary>
    public static LoopbackResponder Start(Func<HttpListenerRequest, (int Status, string Body, IReadOnlyDictionary<string, string> Headers)> handler) => new(handler);

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }

    private static int FreePort()
    {
        using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
