using System.Runtime.CompilerServices;
using BucketMount.Backends;
using BucketMount.Cli.Control;
using BucketMount.Engine.Diagnostics;
using BucketMount.Tray.Model;
using BucketMount.Tray.Win32;

namespace BucketMount.Dokan.Tests;

/// <summary>
/// The tray's logic without Windows: which icon, tooltip, balloon and menu a poll's answer gives, the icons' pixels,
/// and the Win32 structs' sizes against the x64 ABI.
/// </summary>
[TestClass]
public sealed class TrayModelTests
{
    private const string Logs = @"C:\ProgramData\bucketmount\logs";

    [TestMethod]
    public void The_icon_shows_idle_uploading_with_the_count_paused_or_error()
    {
        Assert.AreEqual((TrayIconKind.Idle, 0), Look(Service(Mount("photos"))));
        Assert.AreEqual((TrayIconKind.Uploading, 3), Look(Service(Mount("photos", dirtyFiles: 3, dirtyBytes: 12_400_000))));
        Assert.AreEqual((TrayIconKind.Uploading, 5), Look(Service(Mount("photos", dirtyFiles: 2), Mount("work", pendingUploads: 3))), "the count adds up every mount");
        Assert.AreEqual((TrayIconKind.Paused, 2), Look(Service(Mount("photos", dirtyFiles: 2, paused: true))));
        Assert.AreEqual((TrayIconKind.Error, 0), Look(new TraySnapshot(false, [])), "the service does not answer");
        Assert.AreEqual((TrayIconKind.Error, 0), Look(Service(Mount("photos", state: "Retrying", error: "the store did not answer"))));
        Assert.AreEqual((TrayIconKind.Error, 0), Look(Service(Mount("photos", failingUploads: 1, paused: true))), "an error outranks a pause");
        Assert.AreEqual((TrayIconKind.Connecting, 0), Look(TraySnapshot.Connecting), "no red flash before the first answer, and no false \"all uploaded\"");
    }

    [TestMethod]
    public void The_tooltip_says_what_is_waiting_and_fits_the_notification_area()
    {
        var tip = TrayView.Of(Service(Mount("photos", dirtyFiles: 3, dirtyBytes: 12_400_000), Mount("work"))).Tooltip;
        Assert.AreEqual("bucketmount: uploading 3 file(s), 12.4 MB\nP:\\ (photos): mounted\nW:\\ (work): mounted", tip);
        StringAssert.StartsWith(TrayView.Of(Service(Mount("photos", dirtyFiles: 1, dirtyBytes: 999, paused: true))).Tooltip, "bucketmount: uploads paused, 1 file(s), 999 B waiting");
        StringAssert.StartsWith(TrayView.Of(new TraySnapshot(false, [])).Tooltip, "bucketmount: the service is not running");
        StringAssert.Contains(TrayView.Of(Service(Mount("photos", state: "Failed", error: "Dokan 2.3.1 or newer is needed"))).Tooltip, "P:\\ (photos): Dokan 2.3.1 or newer is needed");

        var many = Service([.. Enumerable.Range(0, 20).Select(i => Mount("mount-with-a-long-name-" + i))]);
        var fitted = TrayView.Of(many).Tooltip;
        Assert.IsTrue(fitted.Length <= TrayView.TooltipLimit, fitted);
        StringAssert.StartsWith(fitted, "bucketmount: everything is in the store\n");
    }

    [TestMethod]
    public void A_balloon_is_raised_once_when_uploads_finish_or_something_fails()
    {
        var uploading = Service(Mount("photos", dirtyFiles: 3));
        var done = Service(Mount("photos"));
        Assert.IsNull(BalloonRules.Next(null, done), "nothing to say at the first poll");
        Assert.IsNull(BalloonRules.Next(null, uploading));
        var finished = BalloonRules.Next(uploading, done);
        Assert.IsNotNull(finished);
        Assert.IsFalse(finished.IsError);
        StringAssert.Contains(finished.Text, "Every change is in the store (3 file(s) were waiting)");
        Assert.IsNull(BalloonRules.Next(done, done), "told once");

        var stopped = new TraySnapshot(false, []);
        var lost = BalloonRules.Next(uploading, stopped);
        Assert.IsTrue(lost is { IsError: true } && lost.Title.Contains("service stopped", StringComparison.Ordinal), "the service went away: " + lost);
        Assert.IsNull(BalloonRules.Next(stopped, stopped), "not again while it stays away");
        Assert.IsNull(BalloonRules.Next(null, stopped), "at logon the service may not be up yet");
        Assert.IsNull(BalloonRules.Next(stopped, done), "back, with nothing that was waiting");

        var failed = Service(Mount("photos", state: "Failed", error: "access denied"), Mount("work"));
        var failure = BalloonRules.Next(done, failed);
        Assert.IsTrue(failure is { IsError: true, Text: @"P:\ (photos): access denied" }, "a mount failed: " + failure);
        Assert.IsNull(BalloonRules.Next(failed, failed), "told once");
        var failing = BalloonRules.Next(done, Service(Mount("photos", failingUploads: 2, lastError: "PUT a.txt: 403 Forbidden")));
        StringAssert.Contains(failing!.Text, "2 upload(s) failing: PUT a.txt: 403 Forbidden");
        Assert.IsTrue(BalloonRules.Next(uploading, failed) is { IsError: true }, "a failure, not \"finished\", when a mount fails with nothing left pending");

        var longText = new Balloon(new string('t', 100), new string('x', 400), true);
        Assert.IsTrue(longText.FittedTitle.Length <= Balloon.TitleLimit && longText.FittedText.Length <= Balloon.TextLimit);
    }

    [TestMethod]
    public void The_menu_opens_each_drive_switches_each_mount_pauses_uploads_opens_the_log_folder_and_quits()
    {
        var menu = TrayMenu.For(Service(Mount("photos"), Mount("work", state: "Unmounted")), Logs);
        CollectionAssert.AreEqual(new[] { @"Open P:\ (photos)", "-", @"Unmount P:\ (photos)", @"Mount W:\ (work)", "-", "Pause uploads", "Open log folder", "-", "Quit" }, menu.Select(i => i.Text).ToArray());
        Assert.AreEqual(new TrayCommand.OpenDrive(@"P:\"), menu[0].Command);
        Assert.AreEqual(new TrayCommand.Unmount(@"P:\", ByService: true), menu[2].Command);
        Assert.AreEqual(new TrayCommand.Mount("work"), menu[3].Command);
        Assert.AreEqual(new TrayCommand.PauseUploads(true), menu[5].Command);
        Assert.AreEqual(new TrayCommand.OpenLogFolder(Logs), menu[6].Command);
        Assert.IsInstanceOfType<TrayCommand.Quit>(menu[8].Command);

        var paused = TrayMenu.For(Service(Mount("photos", paused: true)), Logs);
        Assert.AreEqual(new TrayCommand.PauseUploads(false), paused.Single(i => i.Text == TrayMenu.ResumeText).Command);

        var own = TrayMenu.For(new TraySnapshot(true, [new TrayMount(Status(@"X:\", null, null, null, new EngineStatistics { Store = new StoreCounters().Snapshot() }), ByService: false)]), Logs);
        Assert.AreEqual(new TrayCommand.Unmount(@"X:\", ByService: false), own.Single(i => i.Text == @"Unmount X:\").Command, "a `bucketmount mount` of this user unmounts over its own pipe");

        var away = TrayMenu.For(new TraySnapshot(false, []), Logs);
        CollectionAssert.AreEqual(new[] { "The bucketmount service is not running", "-", "Pause uploads", "Open log folder", "-", "Quit" }, away.Select(i => i.Text).ToArray());
        Assert.IsFalse(away[0].Enabled);
        Assert.IsFalse(away[2].Enabled, "nothing to pause");
        Assert.IsTrue(away[5].Enabled, "quit always works");
    }

    [TestMethod]
    public void Each_icon_is_drawn_in_its_own_colour_with_its_sign_and_transparent_corners()
    {
        var kinds = Enum.GetValues<TrayIconKind>();
        foreach (var kind in kinds)
        {
            var pixels = IconArt.Render(kind, 3, 16);
            Assert.AreEqual(256, pixels.Length);
            Assert.AreEqual(0u, pixels[0] >> 24, $"{kind}: the corner is transparent");
            Assert.IsTrue(pixels.Count(p => p == IconArt.Colour(kind)) > 100, $"{kind}: mostly its own colour");
            Assert.IsTrue(pixels.Count(p => p == 0xFFFFFFFF) >= 10, $"{kind}: a white sign");
            Assert.IsFalse(kinds.Where(k => k != kind).Any(k => pixels.Contains(IconArt.Colour(k))), $"{kind}: no other state's colour");
        }

        Assert.AreEqual(kinds.Length, kinds.Select(IconArt.Colour).Distinct().Count());
        CollectionAssert.AreNotEqual(IconArt.Render(TrayIconKind.Uploading, 3, 16), IconArt.Render(TrayIconKind.Uploading, 12, 16), "the count is drawn");
        CollectionAssert.AreNotEqual(IconArt.Render(TrayIconKind.Uploading, 3, 16), IconArt.Render(TrayIconKind.Uploading, 8, 16));
        CollectionAssert.AreEqual(IconArt.Render(TrayIconKind.Uploading, 99, 16), IconArt.Render(TrayIconKind.Uploading, 250, 16), "past 99 the tooltip has the number");

        // Larger sizes (high DPI) scale the same drawing: each unit becomes a 2x2 block.
        var small = IconArt.Render(TrayIconKind.Paused, 0, 16);
        var large = IconArt.Render(TrayIconKind.Paused, 0, 32);
        for (var y = 0; y < 32; y++)
        {
            for (var x = 0; x < 32; x++)
            {
                Assert.AreEqual(small[y / 2 * 16 + x / 2], large[y * 32 + x], $"({x},{y})");
            }
        }
    }

    [TestMethod]
    public void The_win32_structs_have_the_x64_sizes()
    {
        Assert.AreEqual(976, Unsafe.SizeOf<Native.NotifyIconData>(), "NOTIFYICONDATAW");
        Assert.AreEqual(80, Unsafe.SizeOf<Native.WndClassEx>(), "WNDCLASSEXW");
        Assert.AreEqual(48, Unsafe.SizeOf<Native.Msg>(), "MSG");
        Assert.AreEqual(32, Unsafe.SizeOf<Native.IconInfo>(), "ICONINFO");
        Assert.AreEqual(40, Unsafe.SizeOf<Native.BitmapInfoHeader>(), "BITMAPINFOHEADER");
    }

    private static (TrayIconKind, int) Look(TraySnapshot snapshot)
    {
        var view = TrayView.Of(snapshot);
        return (view.Icon, view.Count);
    }

    private static TraySnapshot Service(params TrayMount[] mounts) => new(true, mounts);

    /// <summary>A service mount named <paramref name="name"/> at the drive of its first letter.</summary>
    internal static TrayMount Mount(string name, int dirtyFiles = 0, long dirtyBytes = 0, int pendingUploads = 0, int failingUploads = 0, bool paused = false, string state = "Mounted", string? error = null, string? lastError = null)
    {
        var statistics = new EngineStatistics
        {
            Store = new StoreCounters().Snapshot(),
            DirtyFiles = dirtyFiles,
            DirtyBytes = dirtyBytes,
            PendingUploads = pendingUploads,
            FailingUploads = failingUploads,
            LastErrors = lastError is null ? [] : [lastError],
        };
        return new TrayMount(Status(char.ToUpperInvariant(name[0]) + @":\", name, state, error, statistics) with { UploadsPaused = paused }, ByService: true);
    }

    private static MountStatus Status(string mountPoint, string? name, string? state, string? error, EngineStatistics statistics) =>
        new("s3://bucket/" + name, mountPoint, 7, 1, "cache", 0, 0, statistics, false, name, state, error);
}
