using System.Diagnostics;

namespace BucketMount.Mount.Tests;

/// <summary>Runs real programs through bash with a bounded wait; the process is killed by PID on timeout.</summary>
internal static class Shell
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string script, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        info.ArgumentList.Add("-eo");
        info.ArgumentList.Add("pipefail");
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        info.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        info.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        info.Environment["TZ"] = "UTC";
        using var process = Process.Start(info) ?? throw new InvalidOperationException("bash did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{script}' did not finish within {(timeout ?? TimeSpan.FromMinutes(5)).TotalSeconds} s.");
        }

        return (process.ExitCode, await output, await error);
    }

    /// <summary>Runs a script that must succeed, and returns its standard output.</summary>
    public static async Task<string> MustAsync(string script, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var (code, output, error) = await RunAsync(script, workingDirectory, timeout);
        Assert.AreEqual(0, code, $"'{script}' failed with {code}:\n{error}\n{output}");
        return output;
    }
}
