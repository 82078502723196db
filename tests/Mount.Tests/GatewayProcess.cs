using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using BucketMount.TestSupport;

namespace BucketMount.Mount.Tests;

/// <summary>
/// `bucketmount gateway` in a child process in front of an s3rver bucket, holding s3rver's keys; grants minted with
/// `bucketmount gateway grant`. Started with a bounded wait for its port, stopped by its PID.
/// </summary>
internal sealed class GatewayProcess : IAsyncDisposable
{
    public const string Secret = "mount-test-gateway-secret-0123456789abcdefgh";
    private readonly Process _process;
    private readonly Task<string> _output;
    private readonly Task<string> _errors;

    private GatewayProcess(Process process, int port, string denyList, string? unixSocket)
    {
        _process = process;
        Port = port;
        UnixSocket = unixSocket;
        DenyList = denyList;
        _output = process.StandardOutput.ReadToEndAsync();
        _errors = process.StandardError.ReadToEndAsync();
    }

    public int Port { get; }

    public string DenyList { get; }

    /// <summary>The socket it listens on when started with one (then <see cref="Port"/> is 0).</summary>
    public string? UnixSocket { get; }

    /// <summary>The endpoint a sandbox gives its mount: http://127.0.0.1:PORT, or unix:///path of the socket.</summary>
    public string Endpoint => UnixSocket is null ? $"http://127.0.0.1:{Port}" : "unix://" + UnixSocket;

    public static async Task<GatewayProcess> StartAsync(EmulatorProcess s3rver, string bucket, string denyList, string? unixSocket = null)
    {
        var port = unixSocket is null ? EmulatorProcess.FreeLoopbackPort() : 0;
        var info = Cli.StartInfo(["gateway", $"s3://{bucket}?endpoint={s3rver.Endpoint}&path_style=true", "--listen", unixSocket is null ? $"127.0.0.1:{port}" : "unix:" + unixSocket,
            "--deny-list", denyList]);
        info.Environment["BUCKETMOUNT_GATEWAY_SECRET"] = Secret;
        info.Environment["AWS_ACCESS_KEY_ID"] = S3Buckets.AccessKey;
        info.Environment["AWS_SECRET_ACCESS_KEY"] = S3Buckets.SecretKey;
        var gateway = new GatewayProcess(Process.Start(info)!, port, denyList, unixSocket);
        for (var attempt = 0; attempt < 300; attempt++)
        {
            if (gateway._process.HasExited)
            {
                Assert.Fail($"bucketmount gateway exited with {gateway._process.ExitCode}:\n{await gateway._errors}");
            }

            try
            {
                if (unixSocket is null)
                {
                    using var probe = new TcpClient();
                    await probe.ConnectAsync("127.0.0.1", port);
                }
                else
                {
                    using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    await probe.ConnectAsync(new UnixDomainSocketEndPoint(unixSocket));
                }

                return gateway;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        await gateway.DisposeAsync();
        Assert.Fail("bucketmount gateway did not listen within 30 s");
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>`bucketmount gateway grant`: the environment a sandbox gets (grant id, access key id, secret).</summary>
    public static async Task<Dictionary<string, string>> GrantAsync(string prefix, params string[] extra)
    {
        var (code, output) = await Cli.RunAsync(["gateway", "grant", "--prefix", prefix, "--ttl", "1h", .. extra], info => info.Environment["BUCKETMOUNT_GATEWAY_SECRET"] = Secret);
        Assert.AreEqual(0, code, output);
        return output.Split('\n').Where(l => l.Contains('=') && !l.StartsWith('#')).ToDictionary(l => l[..l.IndexOf('=')], l => l[(l.IndexOf('=') + 1)..]);
    }

    /// <summary>Stops the gateway and returns its audit log (standard output).</summary>
    public async Task<string> StopAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        await _process.WaitForExitAsync();
        return await _output;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }

    public override string ToString() => Port.ToString(CultureInfo.InvariantCulture);
}
