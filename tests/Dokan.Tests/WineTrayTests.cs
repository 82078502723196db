using System.Diagnostics;
using System.Text.Json.Nodes;
using BucketMount.Tray.Model;
using static BucketMount.Dokan.Tests.StandInTests;

namespace BucketMount.Dokan.Tests;

/// <summary>
/// The win-x64 tray app under Wine on a private X server (Xvfb): the service runs in a console with one stand-in
/// mount; the tray's icon is found on screen by its colour, its menu opens on a click, and clicking "Pause uploads"
/// pauses the service's uploads (asked over the pipe) and turns the icon to its paused colour.
/// </summary>
[TestClass]
public sealed class WineTrayTests
{
    private const int Width = 1024, Height = 768;

    /// <summary>The newest screenshot: kept as a PNG with the test's results when it fails.</summary>
    private byte[]? _lastShot;

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task The_tray_shows_its_icon_and_menu_and_pause_uploads_pauses_the_service_under_wine()
    {
        foreach (var (tool, package) in new[] { ("Xvfb", "xvfb"), ("xauth", "xauth"), ("xdotool", "xdotool"), ("import", "imagemagick") })
        {
            if (!OnPath(tool))
            {
                Assert.Inconclusive($"'{tool}' is missing: scripts/test installs it (Debian package {package}).");
            }
        }

        await using var wine = await WineSession.StartAsync();
        var work = wine.Work.Path;
        var processes = new List<Process>();
        try
        {
            // The service, in a console, with one mount the stand-in dokan2 serves.
            var store = Directory.CreateDirectory(Path.Combine(work, "store")).FullName;
            var config = Path.Combine(work, "remotes.json");
            await File.WriteAllTextAsync(config, new JsonObject
            {
                ["mounts"] = new JsonArray(new JsonObject { ["name"] = "data", ["remote"] = "file:///Z:" + store, ["mountPoint"] = "M:", ["options"] = new JsonArray("--cache-dir", WineSession.WindowsPath(Path.Combine(work, "cache"))) }),
            }.ToJsonString());
            var run = new Dictionary<string, string>(wine.Run)
            {
                ["BUCKETMOUNT_CONFIG"] = WineSession.WindowsPath(config),
                ["BUCKETMOUNT_SERVICE_LOGS"] = WineSession.WindowsPath(Path.Combine(work, "logs")),
                ["DOKAN_STANDIN_SCRIPT"] = "none",
                ["DOKAN_STANDIN_REPORT"] = WineSession.WindowsPath(Path.Combine(work, "report.txt")),
            };
            processes.Add(Start("wine", [wine.Exe, "service", "--console"], run));
            await WineTests.WaitForServiceMountAsync(wine.Exe, run);

            // A private X server; the Wine desktop with its notification area, and the tray in it.
            var display = FreeDisplay();
            processes.Add(Start("Xvfb", [display, "-screen", "0", $"{Width}x{Height}x24", "-nolisten", "tcp"], []));
            await WaitAsync(() => File.Exists("/tmp/.X11-unix/X" + display[1..]), "Xvfb listening");
            var x = new Dictionary<string, string>(run) { ["DISPLAY"] = display };
            var idle = IconArt.Colour(TrayIconKind.Idle);
            var blank = await ScreenshotAsync(display);
            Assert.AreEqual(0, Count(blank, idle), "the idle icon's colour is nowhere before the tray starts");
            processes.Add(Start("wine", ["explorer", $"/desktop=bmtray,{Width}x{Height}", wine.TrayExe], x));

            // The icon: the idle look (the mount is up, nothing waiting), a small patch of its own colour.
            byte[] shot = blank;
            await WaitAsync(async () => Count(shot = await ScreenshotAsync(display), idle) >= 100, "the tray's idle icon on screen");
            var icon = Bounds(shot, idle);
            Assert.IsTrue(icon.Width <= 32 && icon.Height <= 32, $"one small icon, not {icon}");
            var (iconX, iconY) = (icon.X + icon.Width / 2, icon.Y + icon.Height / 2);

            // Its menu: a right click on it makes a box appear.
            var closed = shot;
            byte[] open = closed;
            // A click Wine's desktop was not ready for is repeated, but never while a menu may be opening (that would close it).
            var opened = false;
            for (var attempt = 0; attempt < 3 && !opened; attempt++)
            {
                await ClickAsync(x, iconX, iconY, button: 3);
                for (var i = 0; i < 10 && !opened; i++)
                {
                    opened = Differing(closed, open = await ScreenshotAsync(display)).Count > 2000;
                    await Task.Delay(opened ? 0 : 500);
                }
            }

            Assert.IsTrue(opened, "the menu opened by a click on the icon");
            var menu = Enclosing(Differing(closed, open));
            Assert.IsTrue(menu.Width is > 60 and < 600 && menu.Height is > 40 and < 400, $"a menu-sized box, not {menu}");

            // "Pause uploads": the keyboard highlights it by its place in the menu (a line per item but separators,
            // from the tray's own menu model), then the mouse clicks the highlighted line.
            var items = TrayMenu.For(new TraySnapshot(true, [TrayModelTests.Mount("data")]), "").Where(i => !i.IsSeparator).ToList();
            var downs = items.FindIndex(i => i.Text == TrayMenu.PauseText) + 1;
            Assert.IsTrue(downs > 0);
            for (var i = 0; i < downs; i++)
            {
                await Xdotool(x, "key", "Down");
            }

            byte[] highlighted = open;
            await WaitAsync(async () => Differing(open, highlighted = await ScreenshotAsync(display)).Count > 100, "a menu line highlighted");
            var line = Enclosing(Differing(open, highlighted));
            Assert.IsTrue(line.Y >= menu.Y && line.Y + line.Height <= menu.Y + menu.Height && line.Height < 40, $"one line inside the menu {menu}, not {line}");
            await ClickAsync(x, menu.X + menu.Width / 2, line.Y + line.Height / 2, button: 1);

            // The service's uploads are paused: asked over its pipe, and shown by the icon.
            JsonNode? status = null;
            await WaitAsync(async () => (status = await StatusAsync(wine.Exe, run))?["uploadsPaused"]?.GetValue<bool>() == true, "status says uploads are paused");
            Assert.AreEqual("data", status!["name"]!.GetValue<string>());
            var paused = IconArt.Colour(TrayIconKind.Paused);
            await WaitAsync(async () => Count(await ScreenshotAsync(display), paused) >= 100, "the icon in its paused colour");
        }
        catch (AssertFailedException) when (_lastShot is not null)
        {
            var raw = Path.Combine(work, "last.rgb");
            var png = Path.Combine(TestContext.TestRunResultsDirectory ?? Path.GetTempPath(), "wine-tray-last-screen.png");
            Directory.CreateDirectory(Path.GetDirectoryName(png)!);
            await File.WriteAllBytesAsync(raw, _lastShot);
            await RunAsync("convert", ["-size", $"{Width}x{Height}", "-depth", "8", "rgb:" + raw, png], []);
            TestContext.WriteLine("The screen at the failure: " + png);
            throw;
        }
        finally
        {
            // Each process by its PID, the last started first; then the session's wineserver (WineSession).
            for (var i = processes.Count - 1; i >= 0; i--)
            {
                if (!processes[i].HasExited)
                {
                    processes[i].Kill(entireProcessTree: true);
                }

                processes[i].Dispose();
            }
        }
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(folder => folder.Length > 0 && File.Exists(Path.Combine(folder, tool)));

    /// <summary>A display number nobody uses (no socket, no lock file).</summary>
    private static string FreeDisplay()
    {
        for (var n = 100 + Environment.ProcessId % 300; n < 1000; n++)
        {
            if (!File.Exists($"/tmp/.X11-unix/X{n}") && !File.Exists($"/tmp/.X{n}-lock"))
            {
                return ":" + n;
            }
        }

        throw new InvalidOperationException("no free X display number");
    }

    private static Process Start(string program, string[] arguments, Dictionary<string, string> environment)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        var process = Process.Start(info)!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        return process;
    }

    private static async Task<JsonNode?> StatusAsync(string exe, Dictionary<string, string> run)
    {
        var (code, output) = await RunAsync("wine", [exe, "status", "--json"], run);
        return code == 0 && output.Contains('[', StringComparison.Ordinal)
            ? JsonNode.Parse(output[output.IndexOf('[', StringComparison.Ordinal)..(output.LastIndexOf(']') + 1)])!.AsArray().SingleOrDefault()
            : null;
    }

    /// <summary>The whole screen as RGB bytes, row by row.</summary>
    private async Task<byte[]> ScreenshotAsync(string display)
    {
        var file = Path.Combine(Path.GetTempPath(), $"bucketmount-tray-{Environment.ProcessId}.rgb");
        var (code, output) = await RunAsync("import", ["-display", display, "-window", "root", "-depth", "8", "rgb:" + file], []);
        Assert.AreEqual(0, code, "import (imagemagick): " + output);
        var bytes = await File.ReadAllBytesAsync(file);
        File.Delete(file);
        Assert.AreEqual(Width * Height * 3, bytes.Length, "a whole screenshot");
        return _lastShot = bytes;
    }

    private static async Task Xdotool(Dictionary<string, string> x, params string[] arguments)
    {
        var (code, output) = await RunAsync("xdotool", arguments, x);
        Assert.AreEqual(0, code, "xdotool " + string.Join(' ', arguments) + ": " + output);
    }

    /// <summary>A click as separate press and release (Wine misses xdotool's instant click).</summary>
    private static async Task ClickAsync(Dictionary<string, string> x, int left, int top, int button)
    {
        await Xdotool(x, "mousemove", left.ToString(System.Globalization.CultureInfo.InvariantCulture), top.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Task.Delay(150);
        await Xdotool(x, "mousedown", button.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Task.Delay(100);
        await Xdotool(x, "mouseup", button.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private static bool Is(byte[] shot, int pixel, uint colour) =>
        shot[pixel * 3] == (byte)(colour >> 16) && shot[pixel * 3 + 1] == (byte)(colour >> 8) && shot[pixel * 3 + 2] == (byte)colour;

    private static int Count(byte[] shot, uint colour) => Enumerable.Range(0, Width * Height).Count(p => Is(shot, p, colour));

    private static Box Bounds(byte[] shot, uint colour) => Enclosing([.. Enumerable.Range(0, Width * Height).Where(p => Is(shot, p, colour))]);

    private static List<int> Differing(byte[] before, byte[] after) =>
        [.. Enumerable.Range(0, Width * Height).Where(p => before[p * 3] != after[p * 3] || before[p * 3 + 1] != after[p * 3 + 1] || before[p * 3 + 2] != after[p * 3 + 2])];

    private static Box Enclosing(List<int> pixels)
    {
        Assert.IsTrue(pixels.Count > 0, "no pixels to enclose");
        var (left, top) = (pixels.Min(p => p % Width), pixels.Min(p => p / Width));
        return new Box(left, top, pixels.Max(p => p % Width) - left + 1, pixels.Max(p => p / Width) - top + 1);
    }

    private static async Task WaitAsync(Func<bool> condition, string what) => await WaitAsync(() => Task.FromResult(condition()), what);

    /// <summary>Tries up to <paramref name="attempts"/> times, half a second apart; fails naming what did not happen.</summary>
    private static async Task WaitAsync(Func<Task<bool>> condition, string what, int attempts = 120)
    {
        for (var i = 0; i < attempts; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(500);
        }

        Assert.Fail($"{what}: not within {attempts} tries");
    }

    private readonly record struct Box(int X, int Y, int Width, int Height);
}
