using System.IO.Pipes;
using System.Net.Sockets;
using BucketMount.Cli.Mounting;

namespace BucketMount.Cli.Control;

/// <summary>
/// Where a control channel listens: a Unix domain socket (Linux; mode 0600 in a 0700 folder), or a named pipe on
/// Windows (Wine and Windows before 10 1803 have no AF_UNIX), whose ACL admits only administrators, SYSTEM and the
/// mount's own user, or the interactive user for the service's pipe.
/// </summary>
internal sealed record ControlEndpoint(string? SocketPath, string? PipeName)
{
    /// <summary>The Windows service's one pipe, for every mount it keeps.</summary>
    public const string ServicePipe = "bucketmount";

    private const string ServiceSocket = "service.sock";

    /// <summary>The service's channel: its pipe on Windows, a socket in the user's control folder elsewhere (`service --console`).</summary>
    public static ControlEndpoint Service => OperatingSystem.IsWindows()
        ? new(null, ServicePipe)
        : new(Path.Combine(ControlPaths.Folder(), ServiceSocket), null);

    /// <summary>The channel of the `bucketmount mount` process serving <paramref name="mountPoint"/>.</summary>
    public static ControlEndpoint ForMount(string mountPoint) => OperatingSystem.IsWindows()
        ? new(null, ServicePipe + "-" + ControlPaths.HashOf(mountPoint))
        : new(ControlPaths.SocketFor(mountPoint), null);

    /// <summary>Every CLI mount of this user that may be listening (Windows: every bucketmount pipe; the service's is asked apart).</summary>
    public static IReadOnlyList<ControlEndpoint> AllMounts()
    {
        if (!OperatingSystem.IsWindows())
        {
            return [.. Directory.GetFiles(ControlPaths.Folder(), "*.sock").Where(path => Path.GetFileName(path) != ServiceSocket).Select(path => new ControlEndpoint(path, null))];
        }

        try
        {
            return [.. Directory.GetFiles(@"\\.\pipe\", ServicePipe + "-*").Select(path => new ControlEndpoint(null, Path.GetFileName(path)))];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            // Listing pipes is not everywhere (Wine): `status X:` still finds a mount by its mount point.
            return [];
        }
    }

    /// <summary>Listens here; the caller owns the listener.</summary>
    public IControlListener Listen(bool forService = false) => PipeName is { } pipe
        ? OperatingSystem.IsWindows() ? new NamedPipeControlListener(pipe, forService) : throw new PlatformNotSupportedException("named pipes as control channels are for Windows")
        : UnixSocketControlListener.Bind(SocketPath!);

    /// <summary>Connects, or returns null when nothing listens there (no such mount).</summary>
    public async Task<Stream?> ConnectAsync(CancellationToken cancellationToken)
    {
        if (PipeName is { } pipe)
        {
            // A pipe nobody created makes Connect wait its whole timeout: skip it when Windows can say it is not there.
            if (PipeListed(pipe) is false)
            {
                return null;
            }

            var client = OperatingSystem.IsWindows()
                ? new NamedPipeClientStream(".", pipe, ClientRights, PipeOptions.Asynchronous, System.Security.Principal.TokenImpersonationLevel.None, HandleInheritability.None)
                : new NamedPipeClientStream(".", pipe, PipeDirection.InOut, PipeOptions.Asynchronous);
            try
            {
                await client.ConnectAsync(ConnectLimit, cancellationToken);
                return client;
            }
            catch (Exception e) when (e is TimeoutException or IOException or UnauthorizedAccessException)
            {
                await client.DisposeAsync();
                return null;
            }
        }

        if (!File.Exists(SocketPath))
        {
            return null;
        }

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath!), cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null;
        }
    }

    /// <summary>
    /// What a client asks for: read and write data, no more. PipeDirection.InOut would ask GENERIC_WRITE, which for a
    /// pipe includes FILE_CREATE_PIPE_INSTANCE (the same bit as FILE_APPEND_DATA), a right the pipes' ACLs rightly give
    /// only administrators and SYSTEM: a user's tray or `status` reaching the service's pipe would be refused.
    /// </summary>
    private const PipeAccessRights ClientRights = PipeAccessRights.ReadData | PipeAccessRights.WriteData | PipeAccessRights.ReadAttributes | PipeAccessRights.Synchronize;

    /// <summary>Asks one request here; null when nothing listens, or the process went away before it answered.</summary>
    public async Task<ControlReply?> AskAsync(ControlRequest request, Action<string>? progress, CancellationToken cancellationToken)
    {
        await using var stream = await ConnectAsync(cancellationToken);
        if (stream is null)
        {
            return null;
        }

        try
        {
            return await ControlProtocol.AskAsync(stream, request, progress, cancellationToken);
        }
        catch (IOException)
        {
            // A mount exiting resets the connections it took (`mount --daemon` right after `unmount` asked the old
            // one): as when it closes them, no answer, not a crash of the command with a stack trace.
            return null;
        }
    }

    /// <summary>Whether a pipe of that name exists; null where pipes cannot be listed (Wine).</summary>
    private static bool? PipeListed(string name)
    {
        try
        {
            // Windows always has pipes of its own; an empty list means listing does not work here.
            var all = Directory.GetFiles(@"\\.\pipe\");
            return all.Length == 0 ? null : all.Any(path => string.Equals(Path.GetFileName(path), name, StringComparison.OrdinalIgnoreCase));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>A pipe that exists answers at once; one that does not fails at once too. Busy instances get this long.</summary>
    private static readonly TimeSpan ConnectLimit = TimeSpan.FromSeconds(5);
}
