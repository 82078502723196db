using BucketMount.Cli.Configuration;
using BucketMount.Cli.Control;
using BucketMount.Cli.Service;
using BucketMount.Tray;
using BucketMount.Tray.Model;
using Microsoft.Extensions.Logging.Abstractions;
using static BucketMount.Dokan.Tests.ServiceSupervisorTests;
using static BucketMount.Dokan.Tests.StandInTests;

namespace BucketMount.Dokan.Tests;

/// <summary>
/// The tray against the real service side natively: the service's supervisor (with fake mounts) behind a control
/// channel on a Unix socket, the transport the named pipe replaces on Windows. Menu commands reach the mounts; a
/// service that goes away and comes back is shown and then found again.
/// </summary>
[TestClass]
public sealed class TrayChannelTests
{
    private static readonly ConfiguredMount Photos = new() { Name = "photos", Remote = "s3://photos", MountPoint = "P:" };

    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task The_menus_pause_and_unmount_reach_the_services_mounts_and_the_icon_follows()
    {
        using var folder = new TempFolder();
        var socket = Path.Combine(folder.Path, "service.sock");
        var runner = new FakeRunner();
        var supervisor = new MountSupervisor(runner, () => [Photos], NullLogger.Instance, new FakeDelays().DelayAsync);
        using var server = new ControlServer(UnixSocketControlListener.Bind(socket), supervisor);
        supervisor.Start();
        var channel = new TrayChannel(new ControlEndpoint(socket, null), () => [], NoOwnMount);

        var snapshot = await PollUntilAsync(channel, s => s.Mounts.Any(m => m.IsMounted), "the service's mount");
        Assert.AreEqual(TrayIconKind.Idle, TrayView.Of(snapshot).Icon);
        runner.Mounts["photos"].Pending = 2;
        snapshot = await channel.PollAsync(Token);
        Assert.AreEqual((TrayIconKind.Uploading, 2), (TrayView.Of(snapshot).Icon, TrayView.Of(snapshot).Count));

        var pause = TrayMenu.For(snapshot, "logs").Single(i => i.Text == TrayMenu.PauseText).Command!;
        Assert.IsTrue((await channel.RunAsync(pause, Token)).Ok);
        Assert.IsTrue(runner.Mounts["photos"].Paused, "the service's mount paused its uploads");
        snapshot = await channel.PollAsync(Token);
        Assert.AreEqual(TrayIconKind.Paused, TrayView.Of(snapshot).Icon);
        var resume = TrayMenu.For(snapshot, "logs").Single(i => i.Text == TrayMenu.ResumeText).Command!;
        Assert.IsTrue((await channel.RunAsync(resume, Token)).Ok);
        Assert.IsFalse(runner.Mounts["photos"].Paused);

        var unmount = TrayMenu.For(snapshot, "logs").Single(i => i.Text.StartsWith("Unmount", StringComparison.Ordinal)).Command!;
        var reply = await channel.RunAsync(unmount, Token);
        Assert.IsTrue(reply.Ok, reply.Message);
        Assert.IsTrue(runner.Mounts["photos"].Drained, "unmount uploads what is pending first");
        snapshot = await channel.PollAsync(Token);
        var mount = TrayMenu.For(snapshot, "logs").Single(i => i.Text.StartsWith("Mount", StringComparison.Ordinal)).Command!;
        Assert.IsTrue((await channel.RunAsync(mount, Token)).Ok);
        await PollUntilAsync(channel, s => s.Mounts.Any(m => m.IsMounted), "mounted again from the menu");
    }

    [TestMethod]
    public async Task The_poller_outlives_a_service_that_is_absent_and_finds_it_when_it_starts()
    {
        using var folder = new TempFolder();
        var socket = Path.Combine(folder.Path, "service.sock");
        var channel = new TrayChannel(new ControlEndpoint(socket, null), () => [], NoOwnMount);
        var published = new List<TraySnapshot>();
        var poller = new TrayPoller(channel.PollAsync, s =>
        {
            lock (published)
            {
                published.Add(s);
            }
        }, TimeSpan.FromMilliseconds(50));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var polling = Task.Run(() => poller.RunAsync(stop.Token));
        TraySnapshot? Last()
        {
            lock (published)
            {
                return published.Count == 0 ? null : published[^1];
            }
        }

        try
        {
            await WaitAsync(() => { lock (published) { return published.Count >= 3; } }, "three polls without a service");
            lock (published)
            {
                Assert.IsTrue(published.All(s => !s.ServiceReachable), "no service: every poll says so");
            }

            var runner = new FakeRunner();
            var supervisor = new MountSupervisor(runner, () => [Photos], NullLogger.Instance, new FakeDelays().DelayAsync);
            using (new ControlServer(UnixSocketControlListener.Bind(socket), supervisor))
            {
                supervisor.Start();
                await WaitAsync(() => Last() is { ServiceReachable: true, Mounts.Count: 1 }, "the service found once it listens");
            }

            // The service stops (and its socket with it): the tray says so, and keeps polling.
            await WaitAsync(() => Last() is { ServiceReachable: false }, "the service's absence noticed");
            Assert.IsFalse(polling.IsCompleted, "the poller still runs");
        }
        finally
        {
            await stop.CancelAsync();
            await polling.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    [TestMethod]
    public async Task The_tray_shows_the_users_own_mounts_beside_the_services_and_unmounts_them_over_their_own_channel()
    {
        using var folder = new TempFolder();
        var serviceSocket = Path.Combine(folder.Path, "service.sock");
        var ownSocket = Path.Combine(folder.Path, "own.sock");
        var runner = new FakeRunner();
        var supervisor = new MountSupervisor(runner, () => [Photos], NullLogger.Instance, new FakeDelays().DelayAsync);
        var own = new OwnMount(@"X:\");
        using var service = new ControlServer(UnixSocketControlListener.Bind(serviceSocket), supervisor);
        using var ownServer = new ControlServer(UnixSocketControlListener.Bind(ownSocket), own);
        supervisor.Start();
        var ownEndpoint = new ControlEndpoint(ownSocket, null);
        var channel = new TrayChannel(new ControlEndpoint(serviceSocket, null), () => [ownEndpoint], mountPoint => ControlProtocol.SameMount(mountPoint, @"X:\") ? ownEndpoint : NoOwnMount(mountPoint));

        var snapshot = await PollUntilAsync(channel, s => s.Mounts.Count(m => m.IsMounted) == 2, "the service's mount and the user's own");
        CollectionAssert.AreEqual(new[] { true, false }, snapshot.Mounts.Select(m => m.ByService).ToArray());
        var menu = TrayMenu.For(snapshot, "logs");
        CollectionAssert.Contains(menu.Select(i => i.Text).ToArray(), @"Open X:\");

        Assert.IsTrue((await channel.RunAsync(menu.Single(i => i.Text == TrayMenu.PauseText).Command!, Token)).Ok);
        Assert.IsTrue(runner.Mounts["photos"].Paused && own.Paused, "pause reaches every process");

        var reply = await channel.RunAsync(menu.Single(i => i.Text == @"Unmount X:\").Command!, Token);
        Assert.IsTrue(reply.Ok, reply.Message);
        Assert.IsTrue(own.Unmounted, "the user's mount was asked on its own channel");
        Assert.AreEqual(MountState.Mounted, supervisor.StateOf("photos"), "the service's mount stays");
    }

    /// <summary>No `bucketmount mount` of this user is there: an endpoint nothing listens on.</summary>
    private static ControlEndpoint NoOwnMount(string mountPoint) => new(Path.Combine(Path.GetTempPath(), "bucketmount-none-" + Guid.NewGuid().ToString("N") + ".sock"), null);

    /// <summary>What a `bucketmount mount` process answers on its channel: its one mount, without a name or state.</summary>
    private sealed class OwnMount(string mountPoint) : IControlTarget
    {
        public bool Paused { get; private set; }

        public bool Unmounted { get; private set; }

        public IReadOnlyList<MountStatus> List() =>
            [new("file:///D:/data", mountPoint, 9, 1, "cache", 0, 0, new BucketMount.Engine.Diagnostics.EngineStatistics { Store = new BucketMount.Backends.StoreCounters().Snapshot() }, Paused)];

        public Task<ControlReply> MountAsync(string mount, CancellationToken cancellationToken) => Task.FromResult(new ControlReply(false, "not here"));

        public Task<ControlReply> UnmountAsync(string? mount, bool force, Action<string> progress, CancellationToken cancellationToken)
        {
            Unmounted = mount is null;
            return Task.FromResult(new ControlReply(Unmounted, "Unmounted " + mountPoint));
        }

        public ControlReply SetUploadsPaused(string? mount, bool paused)
        {
            Paused = paused;
            return new ControlReply(true);
        }

        public Task<ControlReply> FlushAsync(string? mount, Action<string> progress, CancellationToken cancellationToken) => Task.FromResult(new ControlReply(true));
    }

    private async Task<TraySnapshot> PollUntilAsync(TrayChannel channel, Func<TraySnapshot, bool> condition, string what)
    {
        var snapshot = await channel.PollAsync(Token);
        for (var i = 0; i < 600 && !condition(snapshot); i++)
        {
            await Task.Delay(50, Token);
            snapshot = await channel.PollAsync(Token);
        }

        Assert.IsTrue(condition(snapshot), what + " (within 30 s)");
        return snapshot;
    }

    private static async Task WaitAsync(Func<bool> condition, string what)
    {
        for (var i = 0; i < 600; i++)
        {
            if (condition())
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail(what + " (within 30 s)");
    }
}
