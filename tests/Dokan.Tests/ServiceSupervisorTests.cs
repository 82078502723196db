using BucketMount.Backends;
using BucketMount.Cli.Configuration;
using BucketMount.Cli.Control;
using BucketMount.Cli.Service;
using BucketMount.Engine.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;

namespace BucketMount.Dokan.Tests;

/// <summary>
/// The Windows service's state machine, natively with fake mounts: every configured mount at start, transient
/// failures retried with growing backoff (permanent ones not), a mount gone from outside mounted again, stop drains
/// every mount; and the service pipe's requests on it.
/// </summary>
[TestClass]
public sealed class ServiceSupervisorTests
{
    private static readonly ConfiguredMount Photos = new() { Name = "photos", Remote = "s3://photos", MountPoint = "P:" };
    private static readonly ConfiguredMount Work = new() { Name = "work", Remote = "s3://work", MountPoint = @"C:\mnt\work" };

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task Start_mounts_every_configured_mount_and_stop_drains_them_all()
    {
        var runner = new FakeRunner();
        var supervisor = new MountSupervisor(runner, () => [Photos, Work], NullLogger.Instance, new FakeDelays().DelayAsync);
        supervisor.Start();
        await WaitUntilAsync(() => supervisor.StateOf("photos") == MountState.Mounted && supervisor.StateOf("work") == MountState.Mounted, "both mounted");

        runner.Mounts["photos"].Pending = 2;
        var progress = new List<string>();
        var results = await supervisor.StopAsync(progress.Add, CancellationToken.None);
        Assert.AreEqual(2, results.Count);
        Assert.IsTrue(results.All(r => r.ExitCode == 0));
        Assert.IsTrue(runner.Mounts.Values.All(m => m.Drained), "every mount uploaded what was pending before unmounting");
        CollectionAssert.Contains(progress, "photos: 2 file(s) left", "stop reports progress (the service turns it into wait hints)");
        Assert.AreEqual(MountState.Unmounted, supervisor.StateOf("photos"));
    }

    [TestMethod]
    public async Task A_transient_failure_is_retried_with_growing_backoff_until_it_mounts()
    {
        var runner = new FakeRunner();
        runner.FailNext["photos"] = new Queue<Exception>([Transient(), Transient(), Transient()]);
        var delays = new FakeDelays();
        var supervisor = new MountSupervisor(runner, () => [Photos], NullLogger.Instance, delays.DelayAsync);
        supervisor.Start();
        await WaitUntilAsync(() => supervisor.StateOf("photos") == MountState.Mounted, "mounted after three failures");
        Assert.AreEqual(4, runner.Attempts["photos"]);
        CollectionAssert.AreEqual(new[] { 2.0, 4.0, 8.0 }, delays.Requested.Select(d => d.TotalSeconds).ToArray(), "2 s, then doubling");
        Assert.AreEqual(MountSupervisor.MaxRetry, MountSupervisor.Backoff(30), "at most 5 minutes apart");
        await supervisor.StopAsync(_ => { }, CancellationToken.None);
    }

    [TestMethod]
    public async Task A_permanent_failure_is_not_retried_and_says_why()
    {
        var runner = new FakeRunner();
        runner.FailNext["photos"] = new Queue<Exception>([new ObjectStoreException(ObjectStoreErrorKind.AccessDenied, "access denied to s3://photos")]);
        var supervisor = new MountSupervisor(runner, () => [Photos], NullLogger.Instance, new FakeDelays().DelayAsync);
        supervisor.Start();
        await WaitUntilAsync(() => supervisor.StateOf("photos") == MountState.Failed, "failed");
        Assert.AreEqual(1, runner.Attempts["photos"]);
        StringAssert.Contains(supervisor.LastErrorOf("photos"), "access denied");
        var listed = supervisor.List().Single();
        Assert.AreEqual("Failed", listed.State);
        StringAssert.Contains(listed.Error, "access denied", "the pipe (and so the tray) shows why");

        Assert.IsTrue((await supervisor.MountAsync("P:", CancellationToken.None)).Ok, "mount on request tries again");
        await WaitUntilAsync(() => supervisor.StateOf("photos") == MountState.Mounted, "mounted on request");
        await supervisor.StopAsync(_ => { }, CancellationToken.None);
    }

    [TestMethod]
    public async Task A_mount_gone_from_outside_is_mounted_again_but_one_unmounted_on_request_is_not()
    {
        var runner = new FakeRunner();
        var delays = new FakeDelays();
        var supervisor = new MountSupervisor(runner, () => [Photos], NullLogger.Instance, delays.DelayAsync);
        supervisor.Start();
        await WaitUntilAsync(() => supervisor.StateOf("photos") == MountState.Mounted, "mounted");
        var first = runner.Mounts["photos"];
        first.GoAway();
        await WaitUntilAsync(() => runner.Attempts["photos"] == 2 && supervisor.StateOf("photos") == MountState.Mounted, "mounted again");
        Assert.IsTrue(first.Drained, "what the first one held was drained before mounting again");

        var reply = await supervisor.UnmountAsync("photos", force: false, _ => { }, CancellationToken.None);
        Assert.IsTrue(reply.Ok, reply.Message);
        Assert.AreEqual(MountState.Unmounted, supervisor.StateOf("photos"));
        Assert.AreEqual(2, runner.Attempts["photos"], "no remount after an unmount on request");
        await supervisor.StopAsync(_ => { }, CancellationToken.None);
    }

    [TestMethod]
    public async Task The_service_pipe_lists_pauses_and_flushes_the_supervised_mounts()
    {
        var runner = new FakeRunner();
        var supervisor = new MountSupervisor(runner, () => [Photos, Work], NullLogger.Instance, new FakeDelays().DelayAsync);
        supervisor.Start();
        await WaitUntilAsync(() => supervisor.List().All(m => m.State == "Mounted"), "both mounted");
        var listener = new ControlChannelTests.StreamPairListener();
        using (new ControlServer(listener, supervisor))
        {
            async Task<ControlReply?> Ask(ControlRequest request)
            {
                await using var client = await listener.ConnectAsync(CancellationToken.None);
                return await ControlProtocol.AskAsync(client, request, null, CancellationToken.None);
            }

            CollectionAssert.AreEquivalent(new[] { "photos", "work" }, (await Ask(new ControlRequest("list")))!.Mounts!.Select(m => m.Name).ToArray());
            Assert.IsTrue((await Ask(new ControlRequest("pause")))!.Ok);
            Assert.IsTrue(runner.Mounts.Values.All(m => m.Paused), "pause without a name pauses every mount");
            Assert.IsTrue((await Ask(new ControlRequest("status", Mount: "p:")))!.Status!.UploadsPaused);
            Assert.IsTrue((await Ask(new ControlRequest("resume", Mount: "work")))!.Ok);
            Assert.IsFalse(runner.Mounts["work"].Paused);
            Assert.IsTrue(runner.Mounts["photos"].Paused);
            Assert.IsTrue((await Ask(new ControlRequest("flush")))!.Ok);
            Assert.IsTrue(runner.Mounts.Values.All(m => m.Flushed));
        }

        await supervisor.StopAsync(_ => { }, CancellationToken.None);
    }

    private static ObjectStoreException Transient() => new(ObjectStoreErrorKind.Transient, "the store did not answer");

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        for (var i = 0; i < 600 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.IsTrue(condition(), what + " (within 30 s)");
    }

    /// <summary>Delays that record what was asked and return at once: backoff is asserted by value, not by waiting.</summary>
    internal sealed class FakeDelays
    {
        public List<TimeSpan> Requested { get; } = [];

        public Task DelayAsync(TimeSpan wait, CancellationToken cancellationToken)
        {
            lock (Requested)
            {
                Requested.Add(wait);
            }

            return Task.CompletedTask;
        }
    }

    internal sealed class FakeRunner : IMountRunner
    {
        public Dictionary<string, Queue<Exception>> FailNext { get; } = [];

        public Dictionary<string, int> Attempts { get; } = [];

        public Dictionary<string, FakeMount> Mounts { get; } = [];

        public Task<IRunningMount> StartAsync(ConfiguredMount mount, CancellationToken cancellationToken)
        {
            lock (this)
            {
                Attempts[mount.Name] = Attempts.GetValueOrDefault(mount.Name) + 1;
                if (FailNext.TryGetValue(mount.Name, out var failures) && failures.TryDequeue(out var failure))
                {
                    throw failure;
                }

                var running = new FakeMount(mount);
                Mounts[mount.Name] = running;
                return Task.FromResult<IRunningMount>(running);
            }
        }
    }

    internal sealed class FakeMount(ConfiguredMount mount) : IRunningMount
    {
        private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string MountPoint => mount.MountPoint;

        public Task Stopped => _stopped.Task;

        public int Pending { get; set; }

        public bool Drained { get; private set; }

        public bool Paused { get; private set; }

        public bool Flushed { get; private set; }

        public void GoAway() => _stopped.TrySetResult();

        public MountStatus Status() => new(mount.Remote, mount.MountPoint, 1, 1, "cache", 0, 0, new EngineStatistics { Store = new StoreCounters().Snapshot(), PendingUploads = Pending }, Paused);

        public void SetUploadsPaused(bool paused) => Paused = paused;

        public Task FlushAsync(Action<string> progress, CancellationToken cancellationToken)
        {
            Flushed = true;
            return Task.CompletedTask;
        }

        public Task<(int ExitCode, string Message)> StopAsync(bool force, Action<string> progress, CancellationToken cancellationToken)
        {
            if (Pending > 0)
            {
                progress($"{mount.Name}: {Pending} file(s) left");
            }

            Pending = 0;
            Drained = true;
            _stopped.TrySetResult();
            return Task.FromResult((0, $"Unmounted {mount.MountPoint}: every change is in the store."));
        }
    }
}
