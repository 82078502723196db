using System.Diagnostics;

namespace BucketMount.Mount.Tests;

/// <summary>
/// `bucketmount mount` in a child process, as a user would run it. Started with a bounded wait for the mount to
/// appear (failing with its output when it does not), stopped by `bucketmount unmount`, SIGTERM or SIGKILL; it
/// is always stopped by its PID and the mount point is always detached.
/// </summary>
internal sealed class MountProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _errorText = new();
    private readonly Task<string> _errors;

    private MountProcess(Process process, string mountPoint)
    {
        _process = process;
        MountPoint = mountPoint;
        _errors = CollectErrorsAsync();
    }

    /// <summary>What the mount printed on standard error so far (its progress lines and messages).</summary>
    public string ErrorsSoFar
    {
        get
        {
            lock (_errorText)
            {
                return _errorText.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string MountPoint { get; }

    public int Pid => _process.Id;

    public static Task<MountProcess> StartAsync(string remote, string mountPoint, string cacheDirectory, params string[] extra) =>
        StartAsync(Cli.StartInfo(new[] { "mount", remote, mountPoint, "--cache-dir", cacheDirectory }.Concat(extra)), mountPoint);

    /// <summary>A mount whose environment differs (a gateway grant's keys instead of the store's).</summary>
    public static Task<MountProcess> StartWithEnvironmentAsync(IReadOnlyDictionary<string, string> environment, string remote, string mountPoint, string cacheDirectory)
    {
        var info = Cli.StartInfo(["mount", remote, mountPoint, "--cache-dir", cacheDirectory]);
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        return StartAsync(info, mountPoint);
    }

    /// <summary>The mount started as a shell with `ulimit -Sn <paramref name="softOpenFiles"/>` would start it (through prlimit).</summary>
    /// <summary>Starts a mount under an open-file limit (the hard one unchanged when <paramref name="hardOpenFiles"/> is null).</summary>
    public static Task<MountProcess> StartWithOpenFileLimitAsync(int softOpenFiles, string remote, string mountPoint, string cacheDirectory, int? hardOpenFiles = null)
    {
        var cli = Cli.StartInfo(["mount", remote, mountPoint, "--cache-dir", cacheDirectory]);
        var info = new ProcessStartInfo("prlimit") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add($"--nofile={softOpenFiles}:{hardOpenFiles}");
        info.ArgumentList.Add(cli.FileName);
        foreach (var argument in cli.ArgumentList)
        {
            info.ArgumentList.Add(argument);
        }

        return StartAsync(info, mountPoint);
    }

    internal static async Task<MountProcess> StartAsync(ProcessStartInfo info, string mountPoint)
    {
        if (!IsMounted(mountPoint))
        {
            // A dead mount left by a killed one is not created again: the mount is to detach it itself.
            Directory.CreateDirectory(mountPoint);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("the mount process did not start");
        var mount = new MountProcess(process, mountPoint);
        // Bounded generously: a process start and the store's first answers on a loaded 2-core machine.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                Assert.Fail($"bucketmount mount exited with {process.ExitCode} before mounting:\n{await mount._errors}");
            }

            // A dead mount a killed process left is listed too, but answers nothing: wait for the live one.
            if (IsMounted(mountPoint) && Directory.Exists(mountPoint))
            {
                return mount;
            }

            await Task.Delay(100);
        }

        await mount.KillAsync();
        Assert.Fail($"{mountPoint} was not mounted within 60 s:\n{await mount._errors}");
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>`bucketmount unmount`: waits for every pending upload, then the process exits.</summary>
    public async Task<string> UnmountAsync()
    {
        var output = await Shell.MustAsync($"{Cli.Shell} unmount '{MountPoint}'", timeout: TimeSpan.FromMinutes(5));
        await WaitForExitAsync(TimeSpan.FromMinutes(1));
        Assert.AreEqual(0, _process.ExitCode, await _errors);
        Assert.IsFalse(IsMounted(MountPoint));
        return output;
    }

    /// <summary>SIGTERM, as a container runtime stops a process; the mount uploads and exits by itself.</summary>
    public async Task<string> TerminateAsync()
    {
        await Shell.MustAsync($"kill -TERM {Pid}");
        await WaitForExitAsync(TimeSpan.FromMinutes(5));
        Assert.AreEqual(0, _process.ExitCode, await _errors);
        return await _errors;
    }

    /// <summary>SIGKILL: no flush, no cleanup, as when a sandbox is destroyed.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        await Shell.RunAsync($"fusermount3 -u -z '{MountPoint}' 2>/dev/null || umount -l '{MountPoint}' 2>/dev/null || true");
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    /// <summary>Waits (bounded) until the mount has printed <paramref name="text"/>; fails with its output otherwise.</summary>
    public async Task WaitForErrorOutputAsync(string text, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (!ErrorsSoFar.Contains(text, StringComparison.Ordinal))
        {
            if (cancel.IsCancellationRequested || _process.HasExited)
            {
                await Task.Delay(200);
                Assert.Fail($"the mount did not print '{text}' within {timeout.TotalSeconds} s (exited: {_process.HasExited}):\n{ErrorsSoFar}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Waits (bounded) for the process to exit by itself and returns its exit code and everything it printed.</summary>
    public async Task<(int Code, string Errors)> ExitAsync(TimeSpan timeout)
    {
        await WaitForExitAsync(timeout);
        return (_process.ExitCode, await _errors);
    }

    public static bool IsMounted(string mountPoint)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(mountPoint));
        return File.ReadLines("/proc/self/mountinfo").Any(line => line.Split(' ') is { Length: > 4 } fields && fields[4] == full);
    }

    private async Task<string> CollectErrorsAsync()
    {
        var buffer = new char[4096];
        while (await _process.StandardError.ReadAsync(buffer) is var read && read > 0)
        {
            lock (_errorText)
            {
                _errorText.Append(buffer, 0, read);
            }
        }

        return ErrorsSoFar;
    }

    private async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
            Assert.Fail($"the mount process did not exit within {timeout.TotalSeconds} s:\n{await _errors}");
        }
    }
}
