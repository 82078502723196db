using System.Collections.Concurrent;
using System.Net;

// counting-proxy LISTEN_PORT UPSTREAM_URL [LATENCY_MS]
// Forwards every request to UPSTREAM_URL unchanged (S3 signatures stay valid: host and path are kept), counts it
// by S3 request kind with bytes up and down, and waits LATENCY_MS first, as a distant store would.
// GET /__stats returns the counters as JSON; POST /__reset zeroes them. Listens on 127.0.0.1 only.
var port = int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture);
var upstream = new Uri(args[1]);
var latency = TimeSpan.FromMilliseconds(args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 0);
var counts = new ConcurrentDictionary<string, long>();
long bytesUp = 0, bytesDown = 0;

var builder = WebApplication.CreateSlimBuilder();
// No body limit: Kestrel's default (about 28.6 MiB) would fail single PUTs larger than that with a 500.
builder.WebHost.ConfigureKestrel(k =>
{
    k.Listen(IPAddress.Loopback, port);
    k.Limits.MaxRequestBodySize = null;
});
builder.Logging.ClearProviders();
var app = builder.Build();
var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, MaxConnectionsPerServer = 256, AutomaticDecompression = DecompressionMethods.None }) { Timeout = TimeSpan.FromMinutes(10) };

app.Run(async context =>
{
    var request = context.Request;
    if (request.Path == "/__stats")
    {
        await context.Response.WriteAsJsonAsync(new Dictionary<string, long>(counts) { ["bytesUp"] = Interlocked.Read(ref bytesUp), ["bytesDown"] = Interlocked.Read(ref bytesDown) });
        return;
    }

    if (request.Path == "/__reset")
    {
        counts.Clear();
        Interlocked.Exchange(ref bytesUp, 0);
        Interlocked.Exchange(ref bytesDown, 0);
        return;
    }

    counts.AddOrUpdate(S3Kind.Of(request.Method, request.Path.Value ?? "/", request.QueryString.Value ?? "", request.Headers.ContainsKey("x-amz-copy-source")), 1, (_, n) => n + 1);
    if (latency > TimeSpan.Zero)
    {
        await Task.Delay(latency, context.RequestAborted);
    }

    using var forward = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(upstream, request.Path.Value + request.QueryString.Value));
    if (request.ContentLength > 0 || request.Headers.ContainsKey("Transfer-Encoding"))
    {
        var counting = new CountingStream(request.Body, n => Interlocked.Add(ref bytesUp, n));
        forward.Content = new StreamContent(counting);
    }

    foreach (var (name, values) in request.Headers)
    {
        if (name.Equals("Host", StringComparison.OrdinalIgnoreCase) || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
        {
            continue;
        }

        if (!forward.Headers.TryAddWithoutValidation(name, values.ToArray()))
        {
            forward.Content?.Headers.TryAddWithoutValidation(name, values.ToArray());
        }
    }

    // Keep the Host the client signed.
    forward.Headers.Host = request.Host.Value;
    using var response = await http.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
    context.Response.StatusCode = (int)response.StatusCode;
    foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
    {
        if (!name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
        {
            context.Response.Headers[name] = values.ToArray();
        }
    }

    await using var body = await response.Content.ReadAsStreamAsync(context.RequestAborted);
    var buffer = new byte[81920];
    int read;
    while ((read = await body.ReadAsync(buffer, context.RequestAborted)) > 0)
    {
        await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted);
        Interlocked.Add(ref bytesDown, read);
    }
});

Console.WriteLine($"counting proxy on http://127.0.0.1:{port} -> {upstream} (latency {latency.TotalMilliseconds} ms)");
app.Run();

/// <summary>S3 request kinds as billed: GET, PUT, HEAD, LIST, COPY, DELETE, MULTIPART.</summary>
internal static class S3Kind
{
    public static string Of(string method, string path, string query, bool copy)
    {
        var bucketOnly = path.Trim('/').IndexOf('/') < 0;
        return method switch
        {
            "GET" when bucketOnly => "LIST",
            "GET" => "GET",
            "HEAD" => "HEAD",
            "PUT" when copy && query.Contains("uploadId", StringComparison.Ordinal) => "MULTIPART",
            "PUT" when copy => "COPY",
            "PUT" when query.Contains("uploadId", StringComparison.Ordinal) => "MULTIPART",
            "PUT" => "PUT",
            "POST" when query.Contains("delete", StringComparison.Ordinal) => "DELETE",
            "POST" => "MULTIPART",
            "DELETE" when query.Contains("uploadId", StringComparison.Ordinal) => "MULTIPART",
            "DELETE" => "DELETE",
            _ => method,
        };
    }
}

internal sealed class CountingStream(Stream inner, Action<int> counted) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("synchronous reads are not used");

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken);
        counted(read);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
