using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using static BucketMount.Dokan.Tests.StandInTests;
using static BucketMount.Dokan.Tests.WineTests;

namespace BucketMount.Dokan.Tests;

/// <summary>
/// The MSI (installer/build, wixl) under Wine, one prefix for its whole life: refused without Dokan or with a Dokan
/// older than 2.3; installed, the service mounting with the stand-in dokan2; upgraded in place while a change waits
/// in the journal (drained and uploaded before any file is replaced, one product afterwards, configuration and cache
/// kept); `msiexec /x` alone stopping the service and removing every file; REMOVEUSERDATA=1 removing the data too,
/// but not while a change could not be uploaded.
/// </summary>
[TestClass]
public sealed partial class MsiTests
{
    private const string Written = "written through the mount before the upgrade\n";

    [TestMethod]
    public async Task The_msi_checks_dokan_upgrades_in_place_keeping_data_and_uninstalls_by_itself_under_wine()
    {
        await using var wine = await WineSession.StartAsync();
        var run = wine.Run;
        var v1 = await BuildAsync(wine.Publish, Path.Combine(wine.Work.Path, "v1.msi"), "0.1.0");
        var v2 = await BuildAsync(ReleaseCopy(wine.Publish, Path.Combine(wine.Work.Path, "publish-v2"), "0.2.0"), Path.Combine(wine.Work.Path, "v2.msi"), "0.2.0");
        Assert.IsTrue(File.ReadAllText(v1, System.Text.Encoding.Latin1).Contains("https://github.com/dokan-dev/dokany/releases", StringComparison.Ordinal), "the refusals say where Dokan comes from");

        // The machine as the service will see it: one mount with the default cache (LocalSystem's profile on Windows),
        // uploads held back 10 minutes so the stand-in's one written file is still pending when the upgrade comes.
        var store = Directory.CreateDirectory(Path.Combine(wine.Work.Path, "store")).FullName;
        var report = Path.Combine(wine.Work.Path, "report.txt");
        var machine = Directory.CreateDirectory(Path.Combine(wine.Prefix, "drive_c", "ProgramData", "bucketmount")).FullName;
        var config = Path.Combine(machine, "remotes.json");
        await File.WriteAllTextAsync(config, new JsonObject
        {
            ["mounts"] = new JsonArray(new JsonObject { ["name"] = "data", ["remote"] = "file:///Z:" + store, ["mountPoint"] = "M:", ["options"] = new JsonArray("--write-back-delay", "600") }),
        }.ToJsonString());
        var configBytes = await File.ReadAllBytesAsync(config);
        File.Copy(Path.Combine(wine.Publish, "dokan2.dll"), Path.Combine(wine.Prefix, "drive_c", "windows", "system32", "dokan2.dll"), overwrite: true);
        await SetMachineEnvironmentAsync(wine, ("DOKAN_STANDIN_SCRIPT", "write:kept.txt"), ("DOKAN_STANDIN_REPORT", WineSession.WindowsPath(report)),
            ("DokanLibrary2", @"C:\Program Files\Dokan\DokanLibrary-2.2.1\"));
        await wine.RestartAsync();

        var installed = Path.Combine(wine.Prefix, "drive_c", "Program Files", "bucketmount");
        var (code, output) = await MsiexecAsync(run, "/i", v1);
        Assert.AreNotEqual(0, code, "without the Dokan driver the install is refused: " + output);
        Assert.IsFalse(Directory.Exists(installed), "nothing installed without Dokan");

        // The driver, but Dokan 2.2.1's (its own installer names its folder after the version): too old, refused.
        (code, output) = await RunAsync("wine", ["reg", "add", @"HKLM\SYSTEM\CurrentControlSet\Services\dokan2", "/v", "ImagePath", "/d", @"System32\drivers\dokan2.sys", "/f"], run);
        Assert.AreEqual(0, code, output);
        (code, output) = await MsiexecAsync(run, "/i", v1);
        Assert.AreNotEqual(0, code, "Dokan 2.2 is refused: " + output);
        Assert.IsFalse(Directory.Exists(installed), "nothing installed with Dokan 2.2");

        await SetMachineEnvironmentAsync(wine, ("DokanLibrary2", @"C:\Program Files\Dokan\DokanLibrary-2.3.1\"));
        (code, output) = await MsiexecAsync(run, "/i", v1);
        Assert.AreEqual(0, code, "msiexec /i v0.1.0 with Dokan 2.3.1: " + output);
        var exe = WineSession.WindowsPath(Path.Combine(installed, "bucketmount.exe"));
        await AssertTrayStartsAtLoginAsync(wine, installed);
        var before = await WaitForPendingUploadAsync(exe, run);
        StringAssert.Contains(await File.ReadAllTextAsync(report), "WROTE kept.txt");
        Assert.IsFalse(File.Exists(Path.Combine(store, "kept.txt")), "the change waits in the journal (write-back delay 600 s)");
        var cache = LinuxPath(wine.Prefix, before["cacheDirectory"]!.GetValue<string>());
        Assert.IsTrue(Directory.Exists(Path.Combine(cache, "journal")), "the cache with its journal: " + cache);

        // The upgrade: the old version's removal stops the service, which uploads the pending change, then new files.
        (code, output) = await MsiexecAsync(run, "/i", v2);
        Assert.AreEqual(0, code, "msiexec /i v0.2.0 over v0.1.0: " + output);
        (code, output) = await RunAsync("wine", ["reg", "query", @"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall", "/s"], run);
        Assert.AreEqual(1, ProductName().Matches(output).Count, "exactly one bucketmount registered: " + output);
        StringAssert.Matches(output, DisplayVersion020());
        StringAssert.Contains(await File.ReadAllTextAsync(Path.Combine(installed, "bucketmount.runtimeconfig.json")), "\"0.2.0\"", "the new version's files are installed");
        var after = await WaitForServiceMountAsync(exe, run);
        Assert.AreNotEqual(before["pid"]!.GetValue<int>(), after["pid"]!.GetValue<int>(), "the service runs again, a new process");
        Assert.AreEqual(Written, await File.ReadAllTextAsync(Path.Combine(store, "kept.txt")), "the pending change was uploaded before the old files went");
        var log = await File.ReadAllTextAsync(Path.Combine(machine, "logs", "service.log"));
        var drained = log.IndexOf(@"'data': Unmounted M:\: every change is in the store", StringComparison.Ordinal);
        Assert.IsTrue(drained >= 0 && drained < log.LastIndexOf("Service starting", StringComparison.Ordinal), "drained before the new version started:\n" + log);
        CollectionAssert.AreEqual(configBytes, await File.ReadAllBytesAsync(config), "the configuration is kept as it was");
        Assert.AreEqual(before["cacheDirectory"]!.GetValue<string>(), after["cacheDirectory"]!.GetValue<string>());
        Assert.IsTrue(Directory.Exists(Path.Combine(cache, "journal")), "the cache is kept");
        await WaitForReportAsync(report, "EXISTS kept.txt");

        // The older package again, or the same version rebuilt (another ProductCode): refused, the installed one untouched.
        var rebuilt = await BuildAsync(wine.Publish, Path.Combine(wine.Work.Path, "v2-rebuilt.msi"), "0.2.0");
        foreach (var refused in new[] { v1, rebuilt })
        {
            (code, output) = await MsiexecAsync(run, "/i", refused);
            Assert.AreNotEqual(0, code, Path.GetFileName(refused) + " over 0.2.0 is refused: " + output);
        }

        (code, output) = await RunAsync("wine", ["reg", "query", @"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall", "/s"], run);
        Assert.AreEqual(1, ProductName().Matches(output).Count, "still one bucketmount registered: " + output);
        Assert.AreEqual(after["pid"]!.GetValue<int>(), (await WaitForServiceMountAsync(exe, run))["pid"]!.GetValue<int>(), "the service was left running");

        // `msiexec /x` alone: it stops the service (which drains) and waits for its process before removing files.
        (code, output) = await MsiexecAsync(run, "/x", v2);
        Assert.AreEqual(0, code, "msiexec /x: " + output);
        Assert.IsFalse(Directory.Exists(installed) && Directory.EnumerateFileSystemEntries(installed, "*", SearchOption.AllDirectories).Any(),
            "every installed file is removed: " + (Directory.Exists(installed) ? string.Join(", ", Directory.EnumerateFiles(installed).Select(Path.GetFileName)) : ""));
        (code, _) = await RunAsync("wine", ["reg", "query", @"HKLM\System\CurrentControlSet\Services\bucketmount"], run);
        Assert.AreNotEqual(0, code, "the service is removed");
        Assert.AreEqual(2, Regex.Matches(await File.ReadAllTextAsync(Path.Combine(machine, "logs", "service.log")), @"'data': Unmounted M:\\: every change is in the store").Count, "the uninstall stopped the service, which drained");
        CollectionAssert.AreEqual(configBytes, await File.ReadAllBytesAsync(config), "configuration is left to the user");
        Assert.IsTrue(Directory.Exists(Path.Combine(cache, "journal")), "the cache is left to the user");

        // REMOVEUSERDATA=1 while a change cannot reach the store: the uninstall goes on, the data (and the change) stay.
        await SetMachineEnvironmentAsync(wine, ("DOKAN_STANDIN_SCRIPT", "write:unsent.txt"));
        await wine.RestartAsync();
        (code, output) = await MsiexecAsync(run, "/i", v2);
        Assert.AreEqual(0, code, "msiexec /i again: " + output);
        await WaitForPendingUploadAsync(exe, run);
        Directory.Move(store, store + ".away");
        await File.WriteAllTextAsync(store, "not a folder: every upload fails");
        (code, output) = await MsiexecAsync(run, "/x", v2, "REMOVEUSERDATA=1");
        Assert.AreEqual(0, code, "msiexec /x REMOVEUSERDATA=1 with the store away: " + output);
        StringAssert.Contains(output, "configuration, logs and caches are kept: not everything is in the store");
        Assert.IsFalse(Directory.Exists(installed) && Directory.EnumerateFileSystemEntries(installed, "*", SearchOption.AllDirectories).Any(), "every installed file is removed");
        CollectionAssert.AreEqual(configBytes, await File.ReadAllBytesAsync(config), "the configuration is kept while a change is not in the store");
        Assert.IsTrue(Directory.Exists(Path.Combine(cache, "journal")), "the cache and its journal are kept");
        File.Delete(store);
        Directory.Move(store + ".away", store);

        // Reinstalled: the journal's change goes; then removed with its data.
        (code, output) = await MsiexecAsync(run, "/i", v2);
        Assert.AreEqual(0, code, "msiexec /i once more: " + output);
        await WaitForServiceMountAsync(exe, run);
        (code, output) = await MsiexecAsync(run, "/x", v2, "REMOVEUSERDATA=1");
        Assert.AreEqual(0, code, "msiexec /x REMOVEUSERDATA=1: " + output);
        Assert.AreEqual(Written, await File.ReadAllTextAsync(Path.Combine(store, "unsent.txt")), "the change kept in the journal reached the store first");
        Assert.IsFalse(Directory.Exists(machine), "configuration and logs removed");
        Assert.IsFalse(Directory.Exists(cache), "the default caches removed");
        Assert.IsFalse(Directory.Exists(installed) && Directory.EnumerateFileSystemEntries(installed, "*", SearchOption.AllDirectories).Any(), "every installed file is removed");
        Assert.AreEqual(Written, await File.ReadAllTextAsync(Path.Combine(store, "kept.txt")), "the store is never the installer's");
    }

    private static async Task<string> BuildAsync(string publish, string msi, string version)
    {
        var (code, output) = await RunAsync("bash", [Path.Combine(RepoRoot, "installer", "build"), publish, msi, version], []);
        Assert.AreEqual(0, code, "installer/build (scripts/test installs wixl): " + output);
        return msi;
    }

    /// <summary>LAUNCHTRAY=0: no tray process in this headless prefix (it would hold the shared runtime files).</summary>
    private static Task<(int Code, string Output)> MsiexecAsync(Dictionary<string, string> run, string action, string msi, params string[] properties) =>
        RunAsync("wine", ["msiexec", action, WineSession.WindowsPath(msi), "/qn", "LAUNCHTRAY=0", .. properties], run);

    /// <summary>A copy of the publish that differs from it as a new release would: its runtimeconfig names the version.</summary>
    private static string ReleaseCopy(string publish, string copy, string version)
    {
        foreach (var file in Directory.EnumerateFiles(publish, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy, Path.GetRelativePath(publish, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        var path = Path.Combine(copy, "bucketmount.runtimeconfig.json");
        var runtimeConfig = JsonNode.Parse(File.ReadAllText(path))!;
        runtimeConfig["runtimeOptions"]!["configProperties"]!["BucketMount.Test.Release"] = version;
        File.WriteAllText(path, runtimeConfig.ToJsonString());
        return copy;
    }

    /// <summary>When the publish has the tray app, the MSI starts it at every user's login (HKLM Run); otherwise there is none.</summary>
    private static async Task AssertTrayStartsAtLoginAsync(WineSession wine, string installed)
    {
        var (code, output) = await RunAsync("wine", ["reg", "query", @"HKLM\Software\Microsoft\Windows\CurrentVersion\Run", "/v", "bucketmount-tray"], wine.Run);
        if (File.Exists(Path.Combine(wine.Publish, "bucketmount-tray.exe")))
        {
            Assert.AreEqual(0, code, "the tray's Run value: " + output);
            StringAssert.Contains(output, @"""C:\Program Files\bucketmount\bucketmount-tray.exe""");
            Assert.IsTrue(File.Exists(Path.Combine(installed, "bucketmount-tray.exe")));
        }
        else
        {
            Assert.AreNotEqual(0, code, "no tray in the publish, no Run value: " + output);
        }
    }

    private static async Task<JsonNode> WaitForPendingUploadAsync(string exe, Dictionary<string, string> run)
    {
        var mount = await WaitForServiceMountAsync(exe, run);
        for (var i = 0; i < 60 && mount["statistics"]?["PendingUploads"]?.GetValue<long>() is not > 0; i++)
        {
            await Task.Delay(500);
            mount = await WaitForServiceMountAsync(exe, run);
        }

        Assert.IsTrue(mount["statistics"]?["PendingUploads"]?.GetValue<long>() > 0, "the stand-in's file waits to be uploaded: " + mount.ToJsonString());
        return mount;
    }

    private static async Task WaitForReportAsync(string report, string line)
    {
        // Bounded, not timed: the stand-in under Wine on a loaded machine can take many seconds to write it.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!(File.Exists(report) && File.ReadAllText(report).Contains(line, StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        StringAssert.Contains(File.Exists(report) ? await File.ReadAllTextAsync(report) : "", line, "the new version's mount sees the file through the kept cache and the store");
    }

    /// <summary>C:\... in the prefix as a Linux path.</summary>
    private static string LinuxPath(string prefix, string windowsPath)
    {
        StringAssert.StartsWith(windowsPath, @"C:\");
        return Path.Combine(prefix, "drive_c", windowsPath[3..].Replace('\\', '/'));
    }

    [GeneratedRegex(@"DisplayName\s+REG_SZ\s+bucketmount\r?$", RegexOptions.Multiline)]
    private static partial Regex ProductName();

    [GeneratedRegex(@"DisplayVersion\s+REG_SZ\s+0\.2\.0")]
    private static partial Regex DisplayVersion020();
}
