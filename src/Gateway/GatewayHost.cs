using System.Runtime.InteropServices;
using BucketMount.Gateway.Audit;
using BucketMount.Gateway.Forwarding;
using BucketMount.Gateway.Grants;
using BucketMount.Gateway.Http;
using Microsoft.Extensions.Logging;

namespace BucketMount.Gateway;

/// <summary>
/// A running gateway: the listener, the deny list (reloaded on change and on SIGHUP), the per-grant counters
/// written for `gateway status` every two seconds. Disposing stops it and removes its socket and status file.
/// </summary>
public sealed class GatewayHost : IAsyncDisposable
{
    private static readonly TimeSpan StatusInterval = TimeSpan.FromSeconds(2);
    private readonly GatewayOptions _options;
    private readonly HttpServer _server;
    private readonly DenyList _denyList;
    private readonly GrantUsage _usage;
    private readonly HttpMessageInvoker _client;
    private readonly AuditLog _audit;
    private readonly PosixSignalRegistration? _hangup;
    private readonly CancellationTokenSource _stop = new();
    private readonly DateTimeOffset _started;
    private Task? _statusLoop;

    internal GatewayHost(GatewayOptions options, TextWriter auditOutput, ILogger logger, TimeProvider? clock = null)
    {
        clock ??= TimeProvider.System;
        _options = options;
        _started = clock.GetUtcNow();
        var codec = new GrantCodec(options.Secret);
        _denyList = new DenyList(options.DenyListPath, clock, message => logger.LogInformation("{Message}", message));
        _denyList.Reload();
        _usage = new GrantUsage(options.GrantRequestsPerSecond, options.GrantBytesPerSecond, clock);
        _client = UpstreamForwarder.CreateClient();
        _audit = new AuditLog(auditOutput);
        var forwarder = new UpstreamForwarder(options.Upstream, _client, new UpstreamSigner(options.Upstream, clock));
        var handler = new GatewayHandler(options, codec, _denyList, _usage, forwarder, _audit, clock, logger);
        _server = new HttpServer(options.Listen, options.Certificate, handler.HandleAsync, logger);
        if (!OperatingSystem.IsWindows())
        {
            _hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true; // SIGHUP reloads; it does not stop the gateway
                _denyList.Reload();
            });
        }
    }

    /// <summary>The per-grant counters `gateway status` reports.</summary>
    internal GrantUsage Usage => _usage;

    /// <summary>Where the gateway listens (the real port when --listen gave 0).</summary>
    public System.Net.EndPoint? LocalEndPoint => _server.LocalEndPoint;

    public void Start()
    {
        _server.Start();
        if (_options.StatusPath is not null)
        {
            _statusLoop = WriteStatusLoopAsync(_stop.Token);
        }
    }

    private async Task WriteStatusLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(StatusInterval);
        while (true)
        {
            try
            {
                StatusFile.Write(_options.StatusPath!, _options.Listen.Text, _options.Upstream.Bucket, _started, _denyList.Count, _usage);
            }
            catch (IOException)
            {
                // The next tick tries again; status is a convenience, serving is not held up for it.
            }

            try
            {
                await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _hangup?.Dispose();
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_statusLoop is not null)
        {
            await _statusLoop.ConfigureAwait(false);
            File.Delete(_options.StatusPath!);
        }

        await _server.DisposeAsync().ConfigureAwait(false);
        _client.Dispose();
        _stop.Dispose();
    }
}
