using System.Text.Json.Nodes;
using static BucketMount.Dokan.Tests.StandInTests;

namespace BucketMount.Dokan.Tests;

/// <summary>
/// A private Wine prefix with the win-x64 publish and the stand-in dokan2.dll beside it, for one test. The session is
/// persistent (`wineserver -p`) and started quietly: otherwise each program may restart Wine's own services, which
/// inherit its output pipes and hold them open long after it exits. Disposing stops this prefix's wineserver only.
/// </summary>
internal sealed class WineSession : IAsyncDisposable
{
    private WineSession(TempFolder work, string publish, Dictionary<string, string> environment)
    {
        Work = work;
        Publish = publish;
        Environment = environment;
    }

    public TempFolder Work { get; }

    public string Publish { get; }

    /// <summary>The prefix's environment (for wineserver and wine's own tools).</summary>
    public Dictionary<string, string> Environment { get; }

    /// <summary>For running the program: an unhandled .NET exception must give a non-zero exit code (no winedbg).</summary>
    public Dictionary<string, string> Run => new(Environment) { ["WINEDLLOVERRIDES"] = "winedbg.exe=d" };

    /// <summary>The CLI as Windows names it (Z: is the Linux root).</summary>
    public string Exe => WindowsPath(Path.Combine(Publish, "bucketmount.exe"));

    /// <summary>The tray app, published beside the CLI.</summary>
    public string TrayExe => WindowsPath(Path.Combine(Publish, "bucketmount-tray.exe"));

    public string Prefix => Environment["WINEPREFIX"];

    public static string WindowsPath(string linuxPath) => "Z:" + linuxPath.Replace('/', '\\');

    public static async Task<WineSession> StartAsync()
    {
        var work = new TempFolder();
        var publish = await WindowsPublishAsync();
        await CompileAsync("x86_64-w64-mingw32-gcc", ["-std=c11", "-Wall", "-Werror", "-O1", "-shared", "-static-libgcc", "-o", Path.Combine(publish, "dokan2.dll"), StandInSource]);
        DisableEventSourceForWine(publish);
        var prefix = Directory.CreateDirectory(Path.Combine(work.Path, "wineprefix")).FullName;
        var session = new WineSession(work, publish, new() { ["WINEPREFIX"] = prefix, ["WINEDEBUG"] = "-all", ["DISPLAY"] = "" });

        // Only prefix creation may skip Mono and Gecko; set while the app runs, CoreCLR cannot load its assemblies.
        var bootLog = Path.Combine(work.Path, "wineboot.log");
        var (code, _) = await RunAsync("sh", ["-c", "wineserver -p >/dev/null 2>&1 && wineboot -i >\"$0\" 2>&1", bootLog], new(session.Environment) { ["WINEDLLOVERRIDES"] = "mscoree,mshtml=" });
        Assert.AreEqual(0, code, "wineboot failed: " + File.ReadAllText(bootLog));
        return session;
    }

    /// <summary>A new session, as after a reboot: Wine's service manager then knows services created since and the machine environment.</summary>
    public async Task RestartAsync()
    {
        var (code, output) = await RunAsync("sh", ["-c", "wineserver -k; wineserver -p >/dev/null 2>&1 && wineboot >/dev/null 2>&1"], Environment);
        Assert.AreEqual(0, code, "restarting the Wine session: " + output);
    }

    public async ValueTask DisposeAsync()
    {
        await RunAsync("wineserver", ["-k"], Environment);
        Work.Dispose();
    }

    /// <summary>The win-x64 self-contained CLI: scripts/test publishes it once and says where; otherwise it is published here.</summary>
    private static async Task<string> WindowsPublishAsync()
    {
        if (System.Environment.GetEnvironmentVariable("BUCKETMOUNT_WIN_PUBLISH") is { Length: > 0 } given && File.Exists(Path.Combine(given, "bucketmount.exe")) && File.Exists(Path.Combine(given, "bucketmount-tray.exe")))
        {
            return given;
        }

        // The CLI, then the tray into the same folder (as the installer ships them: one runtime, both programs).
        var output = Path.Combine(RepoRoot, "tests", "Dokan.Tests", "bin", "win-x64-publish");
        foreach (var project in new[] { "Cli", "Tray" })
        {
            var (code, log) = await RunAsync("dotnet", ["publish", Path.Combine(RepoRoot, "src", project), "-c", "Release", "-r", "win-x64", "--self-contained", "-o", output,
                "-p:DisableTransitiveFrameworkReferenceDownloads=true", "-nologo", "-v", "q"], [], TimeSpan.FromMinutes(10));
            Assert.AreEqual(0, code, $"dotnet publish src/{project} -r win-x64 failed:\n" + log);
        }

        return output;
    }

    /// <summary>Wine 8 kills CoreCLR on EventSource plus a full GC (windows-on-linux.md); only the test copy is changed.</summary>
    private static void DisableEventSourceForWine(string publish)
    {
        foreach (var program in new[] { "bucketmount", "bucketmount-tray" })
        {
            DisableEventSourceIn(Path.Combine(publish, program + ".runtimeconfig.json"));
        }
    }

    private static void DisableEventSourceIn(string runtimeConfig)
    {
        var config = JsonNode.Parse(File.ReadAllText(runtimeConfig))!;
        var options = config["runtimeOptions"]!.AsObject();
        if (options["configProperties"] is not JsonObject properties)
        {
            options["configProperties"] = properties = [];
        }

        properties["System.Diagnostics.Tracing.EventSource.IsSupported"] = false;
        File.WriteAllText(runtimeConfig, config.ToJsonString());
    }
}
