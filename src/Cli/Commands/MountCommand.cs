using System.CommandLine;
using System.Diagnostics;
using BucketMount.Backends;
using BucketMount.Backends.Remotes;
using BucketMount.Cli.Configuration;
using BucketMount.Cli.Control;
using BucketMount.Cli.Logging;
using BucketMount.Cli.Mounting;
using BucketMount.Engine;
using BucketMount.Engine.Hosting;
using BucketMount.Fuse;
using BucketMount.Hosting;

namespace BucketMount.Cli.Commands;

/// <summary>`bucketmount mount [REMOTE] MOUNTPOINT`: the bucket as a local directory.</summary>
internal static class MountCommand
{
    public static Command Create() => Create(new MountSettings());

    /// <summary>The command with <paramref name="settings"/>' options, so a configured mount's arguments parse into them.</summary>
    internal static Command Create(MountSettings settings)
    {
        var first = new Argument<string>("remote-or-mountpoint") { Description = "The remote (s3://…, r2://…, az://…, file:///…), or the mount point alone to mount the embedded local store." };
        var second = new Argument<string?>("mountpoint") { Description = "An empty directory to mount at.", Arity = ArgumentArity.ZeroOrOne };
        var daemon = new Option<bool>("--daemon") { Description = "Run in the background; return once the mount is ready." };
        var command = new Command("mount", "Mount a bucket at a directory. Ctrl+C (or SIGTERM, or `bucketmount unmount`) uploads what is pending, then unmounts.")
        {
            first, second, daemon,
        };
        foreach (var option in settings.All)
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, ct) => ReportExit(await RunAsync(parse, ct)));
        return command;

        async Task<int> RunAsync(ParseResult parse, CancellationToken ct)
        {
            var (remoteText, mountPoint) = parse.GetValue(second) is { } mp ? (parse.GetValue(first), mp) : (null, parse.GetValue(first)!);
            try
            {
                if (remoteText is null && RemoteConfig.LooksLikeRemote(mountPoint))
                {
                    throw new ArgumentException($"the mount point is missing: give an empty directory after the remote (bucketmount mount {mountPoint} ~/bucket).");
                }

                var (remote, credentials) = RemoteConfig.Resolve(remoteText);
                using var loggers = new SimpleLoggerProvider(parse.GetValue(settings.LogLevel), parse.GetValue(settings.LogFile), parse.GetValue(settings.LogFileMaxMiB) * EngineOptions.MiB);
                var host = settings.HostFactory(parse, loggers);
                if (host is FuseHostFactory)
                {
                    mountPoint = Path.GetFullPath(mountPoint);
                    await MountPointGuard.CheckAsync(mountPoint, ct);
                }

                if (parse.GetValue(daemon))
                {
                    if (host is not FuseHostFactory)
                    {
                        throw new ArgumentException("--daemon is for Linux mounts; on Windows keep the mount running in its own console window (Ctrl+C there unmounts).");
                    }

                    return await DaemonAsync(mountPoint, ct);
                }

                var options = new MountedBucketOptions { Engine = settings.Engine(parse, remote), Host = host, Credentials = credentials, Loggers = loggers };
                NarrowPrivateFolders(options.Engine.CacheDirectory, remote, parse.GetValue(settings.LogFile), loggers.CreateLogger("BucketMount.Cli"));
                await using var session = await MountSession.StartAsync(remote.ToString(), mountPoint, options, ct);
                Console.Error.WriteLine($"Mounted {UriSecrets.Redact(remote.ToString())} at {session.MountPoint} (cache {session.Engine.Options.CacheDirectory}). Ctrl+C to unmount.");
                if (session.Engine.RecoveredPaths.Count > 0)
                {
                    Console.Error.WriteLine($"Finishing {session.Engine.RecoveredPaths.Count} upload(s) an earlier run left in the cache.");
                }

                if (session.Engine.RemovedLeftovers is { Files: > 0 } leftovers)
                {
                    Console.Error.WriteLine($"Removed {leftovers.Files} local cop(ies) ({leftovers.Bytes:N0} bytes) an earlier run left in the cache that no pending upload needs: files it was writing, never closed, when it stopped.");
                }

                return await session.RunAsync();
            }
            catch (Exception e) when (e is ObjectStoreException or FileSystemException or ArgumentException or InvalidOperationException or DllNotFoundException or DirectoryNotFoundException or PlatformNotSupportedException)
            {
                await Console.Error.WriteLineAsync("bucketmount: " + PrintableNames.EscapeControls(e.Message));
                return 2;
            }
        }
    }

    /// <summary>What this mount keeps on the machine, made private to its user if an earlier run left it open to others.</summary>
    private static void NarrowPrivateFolders(string cacheDirectory, RemoteUri remote, string? logFile, Microsoft.Extensions.Logging.ILogger logger)
    {
        PrivateFiles.Narrow(cacheDirectory, "cache folder", logger);
        PrivateFiles.Narrow(ControlPaths.Folder(), "control folder", logger);
        if (logFile is not null)
        {
            PrivateFiles.Narrow(Path.GetFullPath(logFile), "log file", logger);
        }

        if (remote.Kind == RemoteKind.File)
        {
            PrivateFiles.Narrow(Path.Combine(remote.LocalPath!, ".bucketmount"), "local store's own folder", logger);
        }
    }

    /// <summary>A background mount's exit code, for the `mount --daemon` that started it to report.</summary>
    private static int ReportExit(int code)
    {
        if (Environment.GetEnvironmentVariable(ExitStatusVariable) is { Length: > 0 } path)
        {
            File.WriteAllText(path, code.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return code;
    }

    /// <summary>How long a background mount may take to come up before `mount --daemon` stops waiting.</summary>
    private static readonly TimeSpan DaemonStartLimit = TimeSpan.FromSeconds(120);

    /// <summary>
    /// Starts this same command in the background without --daemon and waits until that process answers on its
    /// control socket (mounted and ready), or exits: then its own message and exit code are reported at once.
    /// </summary>
    private static async Task<int> DaemonAsync(string mountPoint, CancellationToken cancellationToken)
    {
        var log = Path.Combine(ControlPaths.Folder(), Path.GetFileNameWithoutExtension(ControlPaths.SocketFor(mountPoint)) + ".log");
        var status = log + ".exit";
        File.Delete(status);
        var logStart = File.Exists(log) ? new FileInfo(log).Length : 0;
        var args = Environment.GetCommandLineArgs().Skip(1).Where(a => a != "--daemon").ToList();
        if (!args.Any(a => a == "--log-file" || a.StartsWith("--log-file=", StringComparison.Ordinal)))
        {
            // The child's log lines go to the same file through the logger, which rotates it (--log-file-max-mib), so
            // a background mount logging for weeks cannot fill the disk; what it prints itself is appended there too.
            args.AddRange(["--log-file", log]);
        }

        var program = new List<string> { Environment.ProcessPath! };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            // Run through `dotnet`: the program is the assembly beside this one (the native build is its own executable).
            program.Add(Path.Combine(AppContext.BaseDirectory, typeof(MountCommand).Assembly.GetName().Name + ".dll"));
        }

        // The child writes its exit code where this process can read it: it is the shell's child, not ours.
        var shell = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardOutput = true };
        shell.ArgumentList.Add("-c");
        shell.ArgumentList.Add("exec \"$0\" \"$@\" </dev/null >>\"$BUCKETMOUNT_LOG\" 2>&1 & echo $!");
        foreach (var arg in program.Concat(args))
        {
            shell.ArgumentList.Add(arg);
        }

        shell.Environment["BUCKETMOUNT_LOG"] = log;
        shell.Environment[ExitStatusVariable] = status;
        int pid;
        using (var starter = Process.Start(shell)!)
        {
            var output = await starter.StandardOutput.ReadToEndAsync(cancellationToken);
            await starter.WaitForExitAsync(cancellationToken);
            pid = int.Parse(output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }

        var endpoint = ControlEndpoint.ForMount(mountPoint);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < DaemonStartLimit)
        {
            if (!IsAlive(pid))
            {
                var code = File.Exists(status) && int.TryParse(File.ReadAllText(status).Trim(), out var written) ? written : 1;
                await Console.Error.WriteAsync(ReadFrom(log, logStart));
                await Console.Error.WriteLineAsync($"bucketmount: the background mount exited with code {code} before it was ready (log: {log}).");
                return code == 0 ? 1 : code;
            }

            if (await endpoint.AskAsync(new ControlRequest("status"), null, cancellationToken) is { Status.Pid: var running } && running == pid
                && MountTable.IsMounted(mountPoint))
            {
                Console.Error.WriteLine($"Mounted at {mountPoint} in the background (pid {pid}, log: {log}).");
                return 0;
            }

            await Task.Delay(100, cancellationToken);
        }

        await Console.Error.WriteLineAsync($"bucketmount: the background mount (pid {pid}) is not ready after {DaemonStartLimit.TotalSeconds} s; it keeps trying (log: {log}; stop it with kill {pid}).");
        return 2;
    }

    /// <summary>Set for a background mount: where it writes its exit code, which its starter reports.</summary>
    internal const string ExitStatusVariable = "BUCKETMOUNT_EXIT_STATUS_FILE";

    private static bool IsAlive(int pid)
    {
        try
        {
            // A zombie (exited, not yet reaped by whoever adopted it) is gone for our purpose.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z') is false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static string ReadFrom(string path, long offset)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        file.Seek(Math.Min(offset, file.Length), SeekOrigin.Begin);
        using var reader = new StreamReader(file);
        return reader.ReadToEnd();
    }
}
