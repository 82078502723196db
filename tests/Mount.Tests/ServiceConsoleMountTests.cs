using System.Diagnostics;
using System.Text.Json.Nodes;
using BucketMount.Backends.Local;

namespace BucketMount.Mount.Tests;

/// <summary>
/// `bucketmount service --console` (what the Windows service runs, here over FUSE): it mounts what `bucketmount mounts
/// add` configured, `status` reaches it through the service's channel, and stopping it uploads what is pending first.
/// </summary>
[TestClass]
public sealed class ServiceConsoleMountTests
{
    [TestMethod]
    public async Task The_service_mounts_the_configured_mount_answers_status_and_drains_on_stop()
    {
        var root = Directory.CreateTempSubdirectory("bucketmount-service-").FullName;
        var store = Directory.CreateDirectory(Path.Combine(root, "store")).FullName;
        var mountPoint = Directory.CreateDirectory(Path.Combine(root, "mnt")).FullName;
        var runtime = Directory.CreateDirectory(Path.Combine(root, "run")).FullName;
        var logs = Path.Combine(root, "logs");
        void Environment(ProcessStartInfo info)
        {
            info.Environment["BUCKETMOUNT_CONFIG"] = Path.Combine(root, "remotes.json");
            info.Environment["BUCKETMOUNT_SERVICE_LOGS"] = logs;
            info.Environment["XDG_RUNTIME_DIR"] = runtime;
        }

        Process? service = null;
        try
        {
            // A long write-back delay: what is written stays pending until the service stops.
            var (code, output) = await Cli.RunAsync(["mounts", "add", "docs", "file://" + store, mountPoint, "--cache-dir", Path.Combine(root, "cache"), "--write-back-delay", "600"], Environment);
            Assert.AreEqual(0, code, output);
            (code, output) = await Cli.RunAsync(["mounts", "add", "bad", "file://" + store, mountPoint + "2", "--no-such-option"], Environment);
            Assert.AreEqual(2, code, "options are checked by the mount command's parser: " + output);
            (code, output) = await Cli.RunAsync(["mounts", "list"], Environment);
            StringAssert.Contains(output, "docs\tfile://" + store + "\t" + mountPoint + "\t--cache-dir");

            var info = Cli.StartInfo(["service", "--console"]);
            Environment(info);
            service = Process.Start(info)!;
            var errors = service.StandardError.ReadToEndAsync();
            for (var i = 0; i < 300 && !service.HasExited && !MountProcess.IsMounted(mountPoint); i++)
            {
                await Task.Delay(100);
            }

            Assert.IsTrue(MountProcess.IsMounted(mountPoint), "the configured mount is mounted by the service within 30 s: " + (service.HasExited ? await errors : ""));
            (code, output) = await Cli.RunAsync(["status", "--json"], Environment);
            Assert.AreEqual(0, code, output);
            var listed = JsonNode.Parse(output[output.IndexOf('[', StringComparison.Ordinal)..])!.AsArray().Single()!;
            Assert.AreEqual("docs", listed["name"]!.GetValue<string>());
            Assert.AreEqual("Mounted", listed["state"]!.GetValue<string>());
            Assert.AreEqual(mountPoint, listed["mountPoint"]!.GetValue<string>());

            await File.WriteAllTextAsync(Path.Combine(mountPoint, "note.txt"), "kept by the service");
            await using (var check = new LocalFolderStore(store))
            {
                Assert.IsNull(await check.HeadAsync("note.txt", CancellationToken.None), "still pending (write-back delay)");
            }

            using (var terminate = Process.Start("kill", ["-TERM", service.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await terminate.WaitForExitAsync();
            }

            for (var i = 0; i < 1200 && !service.HasExited; i++)
            {
                await Task.Delay(100);
            }

            Assert.IsTrue(service.HasExited, "the service stopped within 2 minutes of SIGTERM");
            Assert.AreEqual(0, service.ExitCode, await errors);
            Assert.IsFalse(MountProcess.IsMounted(mountPoint));
            await using (var check = new LocalFolderStore(store))
            {
                Assert.AreEqual(19, (await check.HeadAsync("note.txt", CancellationToken.None))?.Size, "stopping uploaded what was pending");
            }

            var log = await File.ReadAllTextAsync(Path.Combine(logs, "service.log"));
            StringAssert.Contains(log, "Mounted 'docs'");
            StringAssert.Contains(log, "every change is in the store");
        }
        finally
        {
            if (service is { HasExited: false })
            {
                service.Kill(entireProcessTree: true);
                await service.WaitForExitAsync();
            }

            await Shell.RunAsync($"fusermount3 -u -z '{mountPoint}' 2>/dev/null || true");
            Directory.Delete(root, recursive: true);
        }
    }
}
