using System.CommandLine;
using System.Diagnostics;
using BucketMount.Backends;
using BucketMount.Backends.Remotes;
using BucketMount.Cli.Configuration;
using BucketMount.Cli.Logging;
using BucketMount.Cli.Mounting;
using BucketMount.Engine;
using BucketMount.Engine.Hosting;
using BucketMount.Fuse;

namespace BucketMount.Cli.Commands;

/// <summary>`bucketmount mount [REMOTE] MOUNTPOINT`: the bucket as a local directory.</summary>
internal static class MountCommand
{
    public static Command Create()
    {
        var first = new Argument<string>("remote-or-mountpoint") { Description = "The remote (s3://…, r2://…, az://…, file:///…), or the mount point alone to mount the embedded local store." };
        var second = new Argument<string?>("mountpoint") { Description = "An empty directory to mount at.", Arity = ArgumentArity.ZeroOrOne };
        var daemon = new Option<bool>("--daemon") { Description = "Run in the background; return once the mount is ready." };
        var settings = new MountSettings();
        var command = new Command("mount", "Mount a bucket at a directory. Ctrl+C (or SIGTERM, or `bucketmount unmount`) uploads what is pending, then unmounts.")
        {
            first, second, daemon,
        };
        foreach (var option in settings.All)
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, ct) =>
        {
            var (remoteText, mountPoint) = parse.GetValue(second) is { } mp ? (parse.GetValue(first), mp) : (null, parse.GetValue(first)!);
            try
            {
                var (remote, credentials) = RemoteConfig.Resolve(remoteText);
                using var loggers = new SimpleLoggerProvider(parse.GetValue(settings.LogLevel), parse.GetValue(settings.LogFile));
                var host = settings.HostFactory(parse, loggers);
                if (host is FuseHostFactory)
                {
                    mountPoint = Path.GetFullPath(mountPoint);
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
                await using var session = await MountSession.StartAsync(remote.ToString(), mountPoint, options, ct);
                Console.Error.WriteLine($"Mounted {remote} at {session.MountPoint} (cache {session.Engine.Options.CacheDirectory}). Ctrl+C to unmount.");
                if (session.Engine.RecoveredPaths.Count > 0)
                {
                    Console.Error.WriteLine($"Finishing {session.Engine.RecoveredPaths.Count} upload(s) an earlier run left in the cache.");
                }

                return await session.RunAsync();
            }
            catch (Exception e) when (e is ObjectStoreException or FileSystemException or ArgumentException or InvalidOperationException or DllNotFoundException or DirectoryNotFoundException or PlatformNotSupportedException)
            {
                await Console.Error.WriteLineAsync("bucketmount: " + e.Message);
                return 2;
            }
        });
        return command;
    }

    /// <summary>Starts this same command in the background without --daemon and waits until the mount shows up.</summary>
    private static async Task<int> DaemonAsync(string mountPoint, CancellationToken cancellationToken)
    {
        var log = Path.Combine(ControlPaths.Folder(), Path.GetFileNameWithoutExtension(ControlPaths.SocketFor(mountPoint)) + ".log");
        var args = Environment.GetCommandLineArgs().Skip(1).Where(a => a != "--daemon").ToList();
        var info = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false, RedirectStandardError = false, RedirectStandardOutput = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            // Run through `dotnet`: the program is the assembly beside this one (the native build is its own executable).
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, typeof(MountCommand).Assembly.GetName().Name + ".dll"));
        }

        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["BUCKETMOUNT_LOG"] = log;
        var shell = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        shell.ArgumentList.Add("-c");
        shell.ArgumentList.Add("exec \"$0\" \"$@\" </dev/null >>\"$BUCKETMOUNT_LOG\" 2>&1 &");
        shell.ArgumentList.Add(info.FileName);
        foreach (var arg in info.ArgumentList)
        {
            shell.ArgumentList.Add(arg);
        }

        shell.Environment["BUCKETMOUNT_LOG"] = log;
        using (var starter = Process.Start(shell)!)
        {
            await starter.WaitForExitAsync(cancellationToken);
        }

        var socket = ControlPaths.SocketFor(mountPoint);
        for (var i = 0; i < 600; i++)
        {
            if (File.Exists(socket) && MountTable.IsMounted(mountPoint))
            {
                Console.Error.WriteLine($"Mounted at {mountPoint} in the background (log: {log}).");
                return 0;
            }

            await Task.Delay(100, cancellationToken);
        }

        await Console.Error.WriteLineAsync($"bucketmount: the background mount did not come up within 60 s; see {log}.");
        return 2;
    }
}
