using System.Net.Sockets;
using System.Text;

namespace BucketMount.Cli.Mounting;

/// <summary>
/// The systemd notify protocol (sd_notify(3)) for a mount run as a Type=notify service: READY=1 once the bucket is
/// mounted (so units ordered after it see files), STOPPING=1 when unmount starts, EXTEND_TIMEOUT_USEC while uploads
/// drain (so systemd does not kill a mount that is still putting written data into the store) and STATUS= lines
/// that `systemctl status` shows. One datagram per message to $NOTIFY_SOCKET; without that variable nothing is sent.
/// Written by hand because Microsoft.Extensions.Hosting.Systemd needs the generic host, which the native CLI does not use.
/// </summary>
internal sealed class SystemdNotifier : IDisposable
{
    /// <summary>How long each progress message asks systemd to wait beyond it: a few progress intervals.</summary>
    public static readonly TimeSpan ExtendBy = TimeSpan.FromSeconds(30);

    /// <summary>Progress is passed on at most this often (a drain reports several times a second).</summary>
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(2);

    private readonly Socket _socket;
    private readonly UnixDomainSocketEndPoint _target;
    private DateTime _lastProgress = DateTime.MinValue;

    private SystemdNotifier(string path)
    {
        // "@name" is an abstract socket (systemd uses those in containers): the name starts with a NUL byte.
        _target = new UnixDomainSocketEndPoint(path.StartsWith('@') ? "\0" + path[1..] : path);
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    }

    /// <summary>The notifier systemd asked for, or null when not started by systemd (or not on Linux).</summary>
    public static SystemdNotifier? FromEnvironment() =>
        OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("NOTIFY_SOCKET") is { Length: > 1 } path ? new SystemdNotifier(path) : null;

    public void Ready(string status) => Send($"READY=1\nMAINPID={Environment.ProcessId}\nSTATUS={status}");

    public void Stopping(string status) => Send($"STOPPING=1\nEXTEND_TIMEOUT_USEC={(long)ExtendBy.TotalMicroseconds}\nSTATUS={status}");

    /// <summary>While uploads drain: more time, and what is left, at most every couple of seconds.</summary>
    public void Progress(string status)
    {
        var now = DateTime.UtcNow;
        if (now - _lastProgress < ProgressInterval)
        {
            return;
        }

        _lastProgress = now;
        Send($"EXTEND_TIMEOUT_USEC={(long)ExtendBy.TotalMicroseconds}\nSTATUS={status}");
    }

    public void Status(string status) => Send($"STATUS={status}");

    public void Dispose() => _socket.Dispose();

    private void Send(string message)
    {
        try
        {
            // A status line is one line: a key name with a newline in it must not start a new assignment.
            _socket.SendTo(Encoding.UTF8.GetBytes(message.Replace("\r", "", StringComparison.Ordinal)), _target);
        }
        catch (SocketException)
        {
            // systemd gone or the socket not ours to write: the mount itself is unaffected.
        }
    }
}
