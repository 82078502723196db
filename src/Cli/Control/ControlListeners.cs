using Microsoft.Win32.SafeHandles;
using System.IO.Pipes;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Security.AccessControl;
using System.Security.Principal;

namespace BucketMount.Cli.Control;

/// <summary>Accepts control connections, each as a stream.</summary>
internal interface IControlListener : IDisposable
{
    Task<Stream> AcceptAsync(CancellationToken cancellationToken);
}

/// <summary>A Unix domain socket only its user may open (mode 0600; its folder is 0700 too).</summary>
internal sealed class UnixSocketControlListener : IControlListener
{
    private readonly Socket _socket;
    private readonly string _path;

    // The socket file this listener bound: Dispose removes the path only while it still names this file.
    private readonly (ulong Device, ulong Inode)? _boundFile;

    // A descriptor held in reserve: when the process has none left (EMFILE), accept() would fail for every client,
    // and `status` and `unmount` would hang; this one is given up so the connection can be taken and answered.
    private SafeFileHandle? _spare = OpenSpare();

    private UnixSocketControlListener(Socket socket, string path)
    {
        _socket = socket;
        _path = path;
        _boundFile = SocketFileIdentity.Of(path);
    }

    public static UnixSocketControlListener Bind(string path)
    {
        // Bound under a name of its own, then renamed into place (replacing a socket left by a mount that died; a
        // live one would hold the mount point busy and fail earlier): the runtime unlinks the path a socket was
        // bound to when it is disposed, and that must not be the shared name, which by then may be a new mount's.
        // (As short as the path itself: a socket's path has at most 107 bytes.)
        var bound = Path.ChangeExtension(path, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        File.Delete(bound);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(bound));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(bound, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            socket.Listen(8);
            File.Move(bound, path, overwrite: true);
            return new UnixSocketControlListener(socket, path);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Accepts the next client; out of descriptors, gives up the reserved one to take it (and takes it back later).</summary>
    public async Task<Stream> AcceptAsync(CancellationToken cancellationToken)
    {
        Socket client;
        try
        {
            client = await _socket.AcceptAsync(cancellationToken);
            _spare ??= OpenSpare();
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TooManyOpenSockets && _spare is not null)
        {
            _spare.Dispose();
            _spare = null;
            client = await _socket.AcceptAsync(cancellationToken);
        }

        return new NetworkStream(client, ownsSocket: true);
    }

    /// <summary>Whether a process accepts connections at <paramref name="path"/> (ours is closed by now).</summary>
    private static bool SomeoneListensAt(string path)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { Blocking = false };
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException e)
        {
            // A full backlog (EAGAIN) is a listener too; refused or missing is nobody.
            return e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress or SocketError.TryAgain;
        }
    }

    private static SafeFileHandle? OpenSpare()
    {
        try
        {
            return File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        _spare?.Dispose();
        if (SocketFileIdentity.Of(_path) != _boundFile || SomeoneListensAt(_path))
        {
            // A new mount of the same mount point has bound its own socket here since (`unmount` returns before
            // this process exits): deleting it would leave that live mount unreachable by `status` and `unmount`.
            // The inode alone cannot tell: a file system reuses the number of the file the new mount deleted.
            return;
        }

        try
        {
            File.Delete(_path);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>
/// A named pipe with an explicit ACL: administrators and SYSTEM always; the service's pipe also the interactive
/// user (the tray and `bucketmount status` run as them), a CLI mount's pipe only its own user. The first instance
/// is created with FILE_FLAG_FIRST_PIPE_INSTANCE, so another process cannot have squatted the name.
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed class NamedPipeControlListener : IControlListener
{
    private const int MaxInstances = 16;
    private readonly string _name;
    private readonly PipeSecurity _security;
    private NamedPipeServerStream? _next;

    /// <summary>Creates the first instance now, so a name already taken (or refused) fails the caller, not a background loop.</summary>
    public NamedPipeControlListener(string name, bool forService)
    {
        _name = name;
        _security = Security(forService);
        _next = Create(PipeOptions.FirstPipeInstance);
    }

    public async Task<Stream> AcceptAsync(CancellationToken cancellationToken)
    {
        var server = _next ?? Create(0);
        _next = null;
        try
        {
            await server.WaitForConnectionAsync(cancellationToken);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    public void Dispose() => _next?.Dispose();

    private NamedPipeServerStream Create(PipeOptions first) =>
        NamedPipeServerStreamAcl.Create(_name, PipeDirection.InOut, MaxInstances, PipeTransmissionMode.Byte, PipeOptions.Asynchronous | first, 0, 0, _security);

    internal static PipeSecurity Security(bool forService)
    {
        var security = new PipeSecurity();
        security.AddAccessRule(new PipeAccessRule(new SecurityIdentifier(WellKnownSidType.BuiltinAdministratorsSid, null), PipeAccessRights.FullControl, AccessControlType.Allow));
        security.AddAccessRule(new PipeAccessRule(new SecurityIdentifier(WellKnownSidType.LocalSystemSid, null), PipeAccessRights.FullControl, AccessControlType.Allow));
        var user = forService
            ? new SecurityIdentifier(WellKnownSidType.InteractiveSid, null)
            : WindowsIdentity.GetCurrent().User!;
        security.AddAccessRule(new PipeAccessRule(user, PipeAccessRights.ReadWrite | PipeAccessRights.Synchronize, AccessControlType.Allow));
        return security;
    }
}
