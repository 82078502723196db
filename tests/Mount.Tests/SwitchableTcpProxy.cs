using System.Net;
using System.Net.Sockets;
using BucketMount.TestSupport;

namespace BucketMount.Mount.Tests;

/// <summary>
/// A loopback TCP proxy in front of a store emulator that a test can take away: <see cref="RefuseAsync"/> stops
/// listening and resets every connection (a network cut, a store down: connection refused), <see cref="Resume"/>
/// listens again on the same port; <see cref="Hang"/> keeps accepting and reading requests but forwards nothing
/// (a store that accepts connections but never answers), <see cref="Answer"/> lets the held bytes through.
/// Bytes pass unchanged, so signed S3 requests stay valid.
/// </summary>
internal sealed class SwitchableTcpProxy : IAsyncDisposable
{
    private readonly int _upstreamPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly HashSet<TcpClient> _open = [];
    private TcpListener? _listener;
    private Task _accepting = Task.CompletedTask;
    private volatile bool _hanging;
    private long _held;

    private SwitchableTcpProxy(int upstreamPort, int port)
    {
        _upstreamPort = upstreamPort;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Chunks of request bytes read while hanging and not (yet) forwarded.</summary>
    public long HeldChunks => Interlocked.Read(ref _held);

    public static SwitchableTcpProxy Start(int upstreamPort)
    {
        var proxy = new SwitchableTcpProxy(upstreamPort, EmulatorProcess.FreeLoopbackPort());
        proxy.Resume();
        return proxy;
    }

    public void Resume()
    {
        var listener = new TcpListener(IPAddress.Loopback, Port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        _listener = listener;
        _accepting = Task.Run(() => AcceptAsync(listener));
    }

    public async Task RefuseAsync()
    {
        _listener?.Stop();
        _listener = null;
        await _accepting;
        TcpClient[] open;
        lock (_open)
        {
            open = [.. _open];
        }

        foreach (var client in open)
        {
            Reset(client);
        }
    }

    public void Hang() => _hanging = true;

    public void Answer() => _hanging = false;

    public async ValueTask DisposeAsync()
    {
        _hanging = false;
        await RefuseAsync();
        await _stop.CancelAsync();
        _stop.Dispose();
    }

    private static void Reset(TcpClient client)
    {
        try
        {
            client.Client.LingerState = new LingerOption(true, 0);
            client.Close();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task AcceptAsync(TcpListener listener)
    {
        while (true)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
            {
                return; // Stopped.
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        var upstream = new TcpClient();
        lock (_open)
        {
            _open.Add(client);
            _open.Add(upstream);
        }

        try
        {
            await upstream.ConnectAsync(IPAddress.Loopback, _upstreamPort, _stop.Token);
            using var done = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            await Task.WhenAny(PumpAsync(client.GetStream(), upstream.GetStream(), true, done.Token), PumpAsync(upstream.GetStream(), client.GetStream(), false, done.Token));
            await done.CancelAsync();
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
        }
        finally
        {
            lock (_open)
            {
                _open.Remove(client);
                _open.Remove(upstream);
            }

            Reset(client);
            Reset(upstream);
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, bool requests, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, cancellationToken)) > 0)
            {
                if (_hanging && requests)
                {
                    Interlocked.Increment(ref _held);
                }

                // Bounded by the test: it lifts the hang (Answer) or disposes the proxy, which cancels this.
                while (_hanging)
                {
                    await Task.Delay(20, cancellationToken);
                }

                await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }
}
