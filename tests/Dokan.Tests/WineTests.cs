using System.Diagnostics;
using System.Text.Json.Nodes;
using static BucketMount.Dokan.Tests.StandInTests;

namespace BucketMount.Dokan.Tests;

/// <summary>
/// The win-x64 publish under Wine with the stand-in dokan2.dll: the replayed Windows sequences, a mount's named pipe
/// (`status`, `unmount`), and the Windows service (sc create, net start, status over its pipe, net stop drains).
/// The MSI is in <see cref="MsiTests"/>.
/// </summary>
[TestClass]
public sealed class WineTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task The_win_x64_build_passes_every_replayed_windows_sequence_under_wine()
    {
        await using var wine = await WineSession.StartAsync();
        var report = Path.Combine(wine.Work.Path, "report.txt");
        var store = Directory.CreateDirectory(Path.Combine(wine.Work.Path, "store")).FullName;
        var (code, output) = await RunAsync("wine", [wine.Exe, "mount", "file:///Z:" + store, "M:", "--cache-dir", WineSession.WindowsPath(Path.Combine(wine.Work.Path, "cache"))],
            new(wine.Run) { ["DOKAN_STANDIN_REPORT"] = WineSession.WindowsPath(report) });
        AssertReplayPassed(TestContext, code, output, report);
        await AssertStoreAsync(store);
    }

    [TestMethod]
    public async Task The_win_x64_mount_answers_status_and_unmount_over_its_named_pipe_under_wine()
    {
        await using var wine = await WineSession.StartAsync();
        var work = wine.Work;
        var exe = wine.Exe;
        var run = wine.Run;
        Process? mount = null;
        try
        {
            var report = Path.Combine(work.Path, "report.txt");
            var store = Directory.CreateDirectory(Path.Combine(work.Path, "store")).FullName;
            var info = new ProcessStartInfo("wine") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var argument in new[] { exe, "mount", "file:///Z:" + store, "M:", "--cache-dir", "Z:" + Path.Combine(work.Path, "cache").Replace('/', '\\') })
            {
                info.ArgumentList.Add(argument);
            }

            foreach (var (name, value) in run)
            {
                info.Environment[name] = value;
            }

            info.Environment["DOKAN_STANDIN_REPORT"] = "Z:" + report.Replace('/', '\\');
            info.Environment["DOKAN_STANDIN_SCRIPT"] = "none";
            mount = Process.Start(info)!;
            _ = mount.StandardError.ReadToEndAsync();
            _ = mount.StandardOutput.ReadToEndAsync();

            // The pipe listens before Dokan mounts; `status` answers once the mount is up.
            var (code, output) = (1, "");
            for (var i = 0; i < 60 && !mount.HasExited; i++)
            {
                (code, output) = await RunAsync("wine", [exe, "status", "M:", "--json"], run);
                if (code == 0 && output.Contains("mountPoint", StringComparison.Ordinal))
                {
                    break;
                }

                await Task.Delay(500);
            }

            Assert.IsFalse(mount.HasExited, "the mount ended early (its exit code: " + (mount.HasExited ? mount.ExitCode : 0) + ")");
            Assert.AreEqual(0, code, "status over the named pipe: " + output);
            var json = output[output.IndexOf('[', StringComparison.Ordinal)..(output.LastIndexOf(']') + 1)];
            var status = JsonNode.Parse(json)!.AsArray().Single()!;
            Assert.AreEqual(@"M:\", status["mountPoint"]!.GetValue<string>());
            StringAssert.StartsWith(status["remote"]!.GetValue<string>(), "file://Z:");
            Assert.IsNotNull(status["statistics"]?["PendingUploads"], "the engine's statistics travel whole: " + json);

            (code, output) = await RunAsync("wine", [exe, "unmount", "m:"], run);
            Assert.AreEqual(0, code, "unmount over the named pipe: " + output);
            StringAssert.Contains(output, "every change is in the store");
            // Polled: waiting for the exit would also wait for its output pipes, which Wine's services may hold.
            for (var i = 0; i < 600 && !mount.HasExited; i++)
            {
                await Task.Delay(100);
            }

            Assert.IsTrue(mount.HasExited, "the mount did not end within 60 s of the unmount");
            Assert.AreEqual(0, mount.ExitCode, "the mount's exit code after the unmount");
            var lines = File.ReadAllLines(report);
            Assert.AreEqual(0, lines.Count(l => l.StartsWith("FAIL", StringComparison.Ordinal)), string.Join('\n', lines));
            CollectionAssert.AreEqual(new[] { "CLOSED", "SHUTDOWN" }, lines.Where(l => l is "CLOSED" or "SHUTDOWN").ToArray());
        }
        finally
        {
            if (mount is { HasExited: false })
            {
                mount.Kill(entireProcessTree: true);
            }

            mount?.Dispose();
        }
    }

    [TestMethod]
    public async Task The_win_x64_service_mounts_the_configured_mount_answers_on_its_pipe_and_drains_on_stop_under_wine()
    {
        await using var wine = await WineSession.StartAsync();
        var work = wine.Work;
        var exe = wine.Exe;
        var run = wine.Run;
        int code;
        string output;

        // What the installer would leave: the machine-wide mounts file, and the stand-in's settings for every process.
        var report = Path.Combine(work.Path, "report.txt");
        var store = Directory.CreateDirectory(Path.Combine(work.Path, "store")).FullName;
        var machine = Directory.CreateDirectory(Path.Combine(wine.Prefix, "drive_c", "ProgramData", "bucketmount")).FullName;
        var cache = "Z:" + Path.Combine(work.Path, "cache").Replace('/', '\\');
        await File.WriteAllTextAsync(Path.Combine(machine, "remotes.json"), new JsonObject
        {
            ["mounts"] = new JsonArray(new JsonObject { ["name"] = "data", ["remote"] = "file:///Z:" + store, ["mountPoint"] = "M:", ["options"] = new JsonArray("--cache-dir", cache, "--write-back-delay", "600") }),
        }.ToJsonString());
        await SetMachineEnvironmentAsync(wine, ("DOKAN_STANDIN_SCRIPT", "none"), ("DOKAN_STANDIN_REPORT", WineSession.WindowsPath(report)));

        (code, output) = await RunAsync("wine", ["sc", "create", "bucketmount", "binPath=", exe + " service", "start=", "demand"], run);
        Assert.AreEqual(0, code, "sc create: " + output);

        // A new session, as after the installer's reboot-free install: Wine's service manager then knows the new
        // service and hands it the environment above (the one wineboot -i started does neither).
        await wine.RestartAsync();
        (code, output) = await RunAsync("wine", ["net", "start", "bucketmount"], run);
        Assert.AreEqual(0, code, "net start: " + output);

        // The service mounts in the background (a store not reachable at boot is retried); its pipe answers at once.
        var mount = await WaitForServiceMountAsync(exe, run);
        Assert.AreEqual("data", mount!["name"]!.GetValue<string>());
        Assert.AreEqual(@"M:\", mount["mountPoint"]!.GetValue<string>());

        // Running, and telling the service manager it takes stop, shutdown AND pre-shutdown (0x1 | 0x4 | 0x100):
        // pre-shutdown is what gives the drain time when Windows shuts down (ServiceBase has no switch for it).
        var statusTool = Path.Combine(work.Path, "service_status.exe");
        await CompileAsync("x86_64-w64-mingw32-gcc", ["-std=c11", "-Wall", "-Werror", "-O1", "-municode", "-o", statusTool, Path.Combine(RepoRoot, "tests", "DokanStandIn", "service_status.c")]);
        (code, output) = await RunAsync("wine", [WineSession.WindowsPath(statusTool), "bucketmount"], run);
        StringAssert.Contains(output, "state=4 accepted=0x105 exit=0", "the running service's status as the service manager has it");

        (code, output) = await RunAsync("wine", ["net", "stop", "bucketmount"], run);
        Assert.AreEqual(0, code, "net stop: " + output);
        await WaitForShutdownAsync(report);
        var lines = File.ReadAllLines(report);
        Assert.AreEqual(0, lines.Count(l => l.StartsWith("FAIL", StringComparison.Ordinal)), string.Join('\n', lines));
        CollectionAssert.AreEqual(new[] { "CLOSED", "SHUTDOWN" }, lines.Where(l => l is "CLOSED" or "SHUTDOWN").ToArray(), "stopping the service unmounted: " + string.Join('\n', lines));
        var logFile = Path.Combine(machine, "logs", "service.log");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!File.ReadAllText(logFile).Contains("every change is in the store", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        var log = await File.ReadAllTextAsync(logFile);
        StringAssert.Contains(log, "Service stopping");
        StringAssert.Contains(log, @"'data': Unmounted M:\: every change is in the store");

        // A service that cannot start has no console: its reason must reach the log file (and the event log).
        await File.WriteAllTextAsync(Path.Combine(machine, "remotes.json"), """{ "mounts": [ 42 ] }""");
        // (Wine's `net start` may return 0 while the service is still starting: only the log decides.)
        await RunAsync("wine", ["net", "start", "bucketmount"], run);
        for (var i = 0; i < 100 && !File.ReadAllText(logFile).Contains("Service could not start", StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
        }

        StringAssert.Contains(await File.ReadAllTextAsync(logFile), "Service could not start: an entry of \"mounts\" in ");
        (code, output) = await RunAsync("wine", ["sc", "delete", "bucketmount"], run);
        Assert.AreEqual(0, code, "sc delete: " + output);
    }

    /// <summary>
    /// Asks the service over its pipe until its one mount is mounted (it mounts in the background: a store not
    /// reachable at boot is retried), bounded; returns that mount's status.
    /// </summary>
    internal static async Task<JsonNode> WaitForServiceMountAsync(string exe, Dictionary<string, string> run)
    {
        JsonNode? mount = null;
        var output = "";
        for (var i = 0; i < 60 && mount?["state"]?.GetValue<string>() != "Mounted"; i++)
        {
            (var code, output) = await RunAsync("wine", [exe, "status", "--json"], run);
            mount = code == 0 && output.Contains('[', StringComparison.Ordinal) ? JsonNode.Parse(output[output.IndexOf('[', StringComparison.Ordinal)..(output.LastIndexOf(']') + 1)])!.AsArray().SingleOrDefault() : null;
            await Task.Delay(500);
        }

        Assert.AreEqual("Mounted", mount?["state"]?.GetValue<string>(), "status over the service pipe: " + output);
        return mount!;
    }

    /// <summary>Wine's `net stop` returns once the stop is accepted; the service then drains, unmounts and calls DokanShutdown.</summary>
    internal static async Task WaitForShutdownAsync(string report)
    {
        for (var i = 0; i < 600 && !(File.Exists(report) && File.ReadAllText(report).Contains("SHUTDOWN", StringComparison.Ordinal)); i++)
        {
            await Task.Delay(100);
        }
    }

    /// <summary>Machine-wide environment variables; Wine's service manager hands them to services after <see cref="WineSession.RestartAsync"/>.</summary>
    internal static async Task SetMachineEnvironmentAsync(WineSession wine, params (string Name, string Value)[] variables)
    {
        foreach (var (name, value) in variables)
        {
            var (code, output) = await RunAsync("wine", ["reg", "add", @"HKLM\System\CurrentControlSet\Control\Session Manager\Environment", "/v", name, "/d", value, "/f"], wine.Run);
            Assert.AreEqual(0, code, output);
        }
    }
}
