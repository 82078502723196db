using System.Diagnostics;

namespace BucketMount.Mount.Tests;

/// <summary>
/// How the tests run `bucketmount`: the native executable `scripts/publish-native` builds, which is what ships for
/// Linux, when BUCKETMOUNT_CLI names it (scripts/test does); else the framework-dependent build beside the tests.
/// </summary>
internal static class Cli
{
    private static readonly string? Native = Environment.GetEnvironmentVariable("BUCKETMOUNT_CLI") is { Length: > 0 } path ? path : null;

    /// <summary>The command as a shell word list, e.g. for `{Cli.Shell} status /mnt`.</summary>
    public static string Shell => Native is { } native ? $"'{Existing(native)}'" : $"dotnet '{Dll}'";

    /// <summary>A start info for the CLI with these arguments (output redirected, no shell).</summary>
    public static ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(Native is { } native ? Existing(native) : "dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (Native is null)
        {
            info.ArgumentList.Add(Dll);
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }

    /// <summary>
    /// Runs the CLI to its end (killed after two minutes) and returns its exit code and stderr followed by stdout;
    /// <paramref name="configure"/> may set environment variables or encodings first.
    /// </summary>
    public static async Task<(int Code, string Output)> RunAsync(IEnumerable<string> arguments, Action<ProcessStartInfo>? configure = null)
    {
        var info = StartInfo(arguments);
        configure?.Invoke(info);
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await error + await output);
    }

    private static string Dll => Path.Combine(AppContext.BaseDirectory, "bucketmount.dll");

    // A named executable that is missing is a broken set-up, not a reason to test something else.
    private static string Existing(string path) => File.Exists(path)
        ? path
        : throw new InvalidOperationException($"BUCKETMOUNT_CLI names {path}, which does not exist: run scripts/publish-native or unset it.");
}
