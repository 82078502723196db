using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using BucketMount.Backends.Remotes;
using Microsoft.Win32.SafeHandles;

namespace BucketMount.Cli.Mounting;

/// <summary>
/// The running mount's local control socket (Unix domain, mode 0600, in a 0700 folder): `status` reads it,
/// `unmount` asks through it. One JSON line in, one JSON line out.
/// </summary>
internal sealed class ControlServer : IDisposable
{
    private readonly Socket _socket;
    private readonly string _path;
    private readonly MountSession _session;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _serving = [];

    // A descriptor held in reserve: when the process has none left (EMFILE), accept() would fail for every client,
    // and `status` and `unmount` would hang; this one is given up so the connection can be taken and answered.
    private SafeFileHandle? _spare = OpenSpare();

    private ControlServer(string path, Socket socket, MountSession session)
    {
        _path = path;
        _socket = socket;
        _session = session;
        _ = AcceptLoopAsync();
    }

    /// <summary>
    /// Starts listening; null (with a warning) where the system has no Unix domain sockets (Windows before 10
    /// 1803, Wine): the mount works, only `status` and `unmount` cannot reach it (Ctrl+C still unmounts).
    /// </summary>
    public static ControlServer? TryStart(string mountPoint, MountSession session)
    {
        try
        {
            return Start(mountPoint, session);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressFamilyNotSupported or SocketError.ProtocolNotSupported)
        {
            Console.Error.WriteLine("bucketmount: this system has no Unix domain sockets, so `bucketmount status` and `unmount` cannot reach this mount; Ctrl+C unmounts it.");
            return null;
        }
    }

    private static ControlServer Start(string mountPoint, MountSession session)
    {
        var path = ControlPaths.SocketFor(mountPoint);
        if (File.Exists(path))
        {
            // A socket left by a mount that died; a live one would hold the mount point busy and fail earlier.
            File.Delete(path);
        }

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        socket.Listen(8);
        return new ControlServer(path, socket, session);
    }

    public void Dispose()
    {
        // Let replies in flight (an unmount's answer) reach their clients first.
        Task[] serving;
        lock (_serving)
        {
            serving = [.. _serving];
        }

        Task.WaitAll(serving, TimeSpan.FromSeconds(5));
        _stop.Cancel();
        _socket.Dispose();
        _spare?.Dispose();
        try
        {
            File.Delete(_path);
        }
        catch (IOException)
        {
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await AcceptAsync();
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException || _stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                // Out of descriptors with none in reserve, or a passing error: try again shortly, never give up
                // while the mount runs.
                await Task.Delay(TimeSpan.FromMilliseconds(200), _stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                continue;
            }

            lock (_serving)
            {
                _serving.RemoveAll(t => t.IsCompleted);
                _serving.Add(ServeAsync(client));
            }
        }
    }

    /// <summary>Accepts the next client; out of descriptors, gives up the reserved one to take it (and takes it back later).</summary>
    private async Task<Socket> AcceptAsync()
    {
        try
        {
            var client = await _socket.AcceptAsync(_stop.Token);
            _spare ??= OpenSpare();
            return client;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TooManyOpenSockets && _spare is not null)
        {
            _spare.Dispose();
            _spare = null;
            return await _socket.AcceptAsync(_stop.Token);
        }
    }

    private static SafeFileHandle? OpenSpare()
    {
        try
        {
            return File.OpenHandle(OperatingSystem.IsWindows() ? "NUL" : "/dev/null", FileMode.Open, FileAccess.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using (client)
        await using (var stream = new NetworkStream(client))
        using (var reader = new StreamReader(stream, Encoding.UTF8))
        await using (var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true })
        {
            ControlReply reply;
            try
            {
                var request = JsonSerializer.Deserialize(await reader.ReadLineAsync(_stop.Token) ?? "{}", CliJson.Default.ControlRequest);
                reply = request?.Command switch
                {
                    "status" => new ControlReply(true, Status: Status()),
                    "unmount" => await UnmountAsync(request.Force, writer),
                    _ => new ControlReply(false, "unknown command; use status or unmount"),
                };
            }
            catch (Exception e) when (e is JsonException or IOException)
            {
                reply = new ControlReply(false, e.Message);
            }

            try
            {
                await writer.WriteLineAsync(JsonSerializer.Serialize(reply, CliJson.Default.ControlReply));
            }
            catch (IOException)
            {
                // The asker went away before the answer: nothing to tell anyone.
            }
        }
    }

    /// <summary>
    /// Passes the unmount's progress lines on while it drains, then answers once the mount is detached (programs
    /// still inside are served on; the answer names them), or, forced, once it has ended.
    /// </summary>
    private async Task<ControlReply> UnmountAsync(bool force, StreamWriter writer)
    {
        var lines = System.Threading.Channels.Channel.CreateBounded<string>(new System.Threading.Channels.BoundedChannelOptions(1)
        {
            FullMode = System.Threading.Channels.BoundedChannelFullMode.DropOldest,
        });
        void Relay(string line) => lines.Writer.TryWrite(line);
        _session.Progress += Relay;
        try
        {
            _session.RequestStop(force);
            var outcome = force ? _session.Ended : _session.Detached;
            while (!outcome.IsCompleted)
            {
                var next = lines.Reader.WaitToReadAsync(_stop.Token).AsTask();
                if (await Task.WhenAny(outcome, next) == next && lines.Reader.TryRead(out var line))
                {
                    await writer.WriteLineAsync(JsonSerializer.Serialize(new ControlReply(true, Progress: line), CliJson.Default.ControlReply));
                }
            }

            var result = await outcome;
            return new ControlReply(result.ExitCode == 0, result.Message);
        }
        catch (IOException)
        {
            // The asker went away (Ctrl+C on `unmount`): the unmount goes on regardless.
            var result = await _session.Detached;
            return new ControlReply(result.ExitCode == 0, result.Message);
        }
        finally
        {
            _session.Progress -= Relay;
        }
    }

    private MountStatus Status()
    {
        var statistics = _session.Statistics();
        var seconds = Math.Max(_session.Uptime.TotalSeconds, 0.001);
        return new MountStatus(UriSecrets.Redact(_session.Remote.ToString()), _session.MountPoint, Environment.ProcessId, _session.Uptime.TotalSeconds,
            _session.Engine.Options.CacheDirectory, statistics.Store.BytesUploaded / 1e6 / seconds, statistics.Store.BytesDownloaded / 1e6 / seconds, statistics);
    }
}
