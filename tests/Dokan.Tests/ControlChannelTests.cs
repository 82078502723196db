using System.IO.Pipelines;
using BucketMount.Cli.Control;
using BucketMount.Engine.Diagnostics;

namespace BucketMount.Dokan.Tests;

/// <summary>
/// The control channel's protocol (what `bucketmount status`, `unmount`, the Windows service and the tray speak),
/// natively: over a Unix socket and over an in-memory stream pair, the transports a named pipe replaces on Windows.
/// </summary>
[TestClass]
public sealed class ControlChannelTests
{
    public TestContext TestContext { get; set; } = null!;

    private CancellationToken Token => TestContext.CancellationTokenSource.Token;

    [TestMethod]
    public async Task Every_command_reaches_the_target_over_a_unix_socket()
    {
        var folder = Directory.CreateTempSubdirectory("bucketmount-control-").FullName;
        try
        {
            var path = Path.Combine(folder, "c.sock");
            var target = new RecordingTarget();
            using (new ControlServer(UnixSocketControlListener.Bind(path), target))
            {
                var endpoint = new ControlEndpoint(path, null);
                await AssertEveryCommandAsync(request => endpoint.AskAsync(request, null, Token), target);
                if (!OperatingSystem.IsWindows())
                {
                    Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path), "only the mount's user may connect");
                }
            }

            Assert.IsFalse(File.Exists(path), "the socket goes with the server");
            Assert.IsNull(await new ControlEndpoint(path, null).AskAsync(new ControlRequest("status"), null, Token), "nothing listens: no reply, no exception");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// `unmount` returns before the old mount process has exited; a new mount of the same mount point started
    /// right then binds the same socket path. The old process, exiting, must not delete the new one's socket:
    /// `status` and `unmount` then said "no running mount" for a live mount.
    /// </summary>
    [TestMethod]
    public async Task A_server_that_goes_leaves_the_socket_of_the_next_mount_at_that_path()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var folder = Directory.CreateTempSubdirectory("bucketmount-control-").FullName;
        try
        {
            var path = Path.Combine(folder, "c.sock");
            var old = new ControlServer(UnixSocketControlListener.Bind(path), new RecordingTarget());
            using (new ControlServer(UnixSocketControlListener.Bind(path), new RecordingTarget()))
            {
                old.Dispose();
                Assert.IsTrue(File.Exists(path), "the new mount's socket is still there");
                var reply = await new ControlEndpoint(path, null).AskAsync(new ControlRequest("list"), null, Token);
                Assert.IsNotNull(reply, "the new mount still answers");
            }

            Assert.IsFalse(File.Exists(path), "the socket goes with its own server");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A mount exiting resets the connection it accepted: the asking command gets no answer, not an unhandled exception.</summary>
    [TestMethod]
    public async Task A_connection_reset_before_the_answer_is_no_answer()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var folder = Directory.CreateTempSubdirectory("bucketmount-control-").FullName;
        try
        {
            var path = Path.Combine(folder, "c.sock");
            using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
            listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
            listener.Listen(1);
            var resetting = Task.Run(async () =>
            {
                using var accepted = await listener.AcceptAsync(Token);
                var buffer = new byte[1];
                _ = await accepted.ReceiveAsync(buffer, Token);
                accepted.LingerState = new System.Net.Sockets.LingerOption(true, 0); // close with RST
            }, Token);

            var reply = await new ControlEndpoint(path, null).AskAsync(new ControlRequest("status"), null, Token);

            await resetting;
            Assert.IsNull(reply);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public async Task Every_command_reaches_the_target_over_a_stream_pair()
    {
        var target = new RecordingTarget();
        var listener = new StreamPairListener();
        using (new ControlServer(listener, target))
        {
            await AssertEveryCommandAsync(async request =>
            {
                await using var client = await listener.ConnectAsync(Token);
                return await ControlProtocol.AskAsync(client, request, null, Token);
            }, target);
        }
    }

    [TestMethod]
    public async Task Flush_and_unmount_pass_their_progress_on_before_the_answer()
    {
        var target = new RecordingTarget();
        var listener = new StreamPairListener();
        using var server = new ControlServer(listener, target);
        foreach (var command in new[] { "flush", "unmount" })
        {
            var progress = new List<string>();
            await using var client = await listener.ConnectAsync(Token);
            var reply = await ControlProtocol.AskAsync(client, new ControlRequest(command), progress.Add, Token);
            Assert.IsTrue(reply!.Ok, command);
            CollectionAssert.AreEqual(new[] { "1 file(s) left" }, progress, $"{command}: the progress line comes before the answer");
        }
    }

    [TestMethod]
    [DataRow("X:", @"x:\", true)]
    [DataRow("X", @"X:\", true)]
    [DataRow(@"X:\", "Y:", false)]
    [DataRow("/mnt/b", "/mnt/b/", true)]
    [DataRow("/mnt/b", "/mnt/B", false)]
    public void A_mount_is_found_however_its_mount_point_is_spelled(string mountPoint, string asked, bool same) =>
        Assert.AreEqual(same, ControlProtocol.SameMount(mountPoint, asked));

    /// <summary>list, status (all, one, unknown), pause, resume, mount, unmount --force, an unknown command, through <paramref name="ask"/>.</summary>
    private static async Task AssertEveryCommandAsync(Func<ControlRequest, Task<ControlReply?>> ask, RecordingTarget target)
    {
        var list = await ask(new ControlRequest("list"));
        CollectionAssert.AreEqual(new[] { @"X:\", @"C:\mnt\b" }, list!.Mounts!.Select(m => m.MountPoint).ToArray());

        var one = await ask(new ControlRequest("status", Mount: "c:\\mnt\\b"));
        Assert.AreEqual(@"C:\mnt\b", one!.Status!.MountPoint);
        Assert.AreEqual(3, one.Status.Statistics.PendingUploads, "the engine's statistics travel whole");
        var unknown = await ask(new ControlRequest("status", Mount: "Q:"));
        Assert.IsFalse(unknown!.Ok);
        StringAssert.Contains(unknown.Message, "no running mount at Q:");

        Assert.IsTrue((await ask(new ControlRequest("pause", Mount: "X:")))!.Ok);
        Assert.IsTrue(target.Paused.Contains(@"X:\"));
        Assert.IsTrue((await ask(new ControlRequest("status", Mount: "X:")))!.Status!.UploadsPaused, "status shows the pause");
        Assert.IsTrue((await ask(new ControlRequest("resume", Mount: "X:")))!.Ok);
        Assert.IsFalse(target.Paused.Contains(@"X:\"));

        Assert.IsTrue((await ask(new ControlRequest("mount", Mount: "photos")))!.Ok);
        Assert.AreEqual("photos", target.Mounted.Single());
        StringAssert.Contains((await ask(new ControlRequest("mount")))!.Message, "mounts list");

        Assert.IsTrue((await ask(new ControlRequest("unmount", Force: true, Mount: "X:")))!.Ok);
        Assert.AreEqual((@"X:", true), target.Unmounted.Single());

        var wrong = await ask(new ControlRequest("reboot"));
        Assert.IsFalse(wrong!.Ok);
        StringAssert.Contains(wrong.Message, "unknown command 'reboot'; use list, status, pause, resume, flush, mount or unmount");
    }

    private sealed class RecordingTarget : IControlTarget
    {
        public HashSet<string> Paused { get; } = [];

        public List<string> Mounted { get; } = [];

        public List<(string?, bool)> Unmounted { get; } = [];

        public IReadOnlyList<MountStatus> List() =>
        [
            Status(@"X:\", 0), Status(@"C:\mnt\b", 3),
        ];

        public Task<ControlReply> MountAsync(string mount, CancellationToken cancellationToken)
        {
            Mounted.Add(mount);
            return Task.FromResult(new ControlReply(true, "mounted " + mount));
        }

        public async Task<ControlReply> UnmountAsync(string? mount, bool force, Action<string> progress, CancellationToken cancellationToken)
        {
            await ProgressAsync(progress);
            Unmounted.Add((mount, force));
            return new ControlReply(true, "unmounted");
        }

        public ControlReply SetUploadsPaused(string? mount, bool paused)
        {
            var _ = paused ? Paused.Add(@"X:\") : Paused.Remove(@"X:\");
            return new ControlReply(true);
        }

        public async Task<ControlReply> FlushAsync(string? mount, Action<string> progress, CancellationToken cancellationToken)
        {
            await ProgressAsync(progress);
            return new ControlReply(true, "flushed");
        }

        /// <summary>A progress line, then time for the server to pass it on before the answer (bounded, not a verdict).</summary>
        private static async Task ProgressAsync(Action<string> progress)
        {
            progress("1 file(s) left");
            await Task.Delay(200);
        }

        private MountStatus Status(string mountPoint, int pending) =>
            new("s3://bucket", mountPoint, 42, 1, "cache", 0, 0, new EngineStatistics { Store = new BucketMount.Backends.StoreCounters().Snapshot(), PendingUploads = pending }, Paused.Contains(mountPoint));
    }

    /// <summary>A listener whose connections are in-memory stream pairs (two pipes), no operating-system transport.</summary>
    internal sealed class StreamPairListener : IControlListener
    {
        private readonly System.Threading.Channels.Channel<Stream> _pending = System.Threading.Channels.Channel.CreateUnbounded<Stream>();

        public Task<Stream> ConnectAsync(CancellationToken cancellationToken)
        {
            var toServer = new Pipe();
            var toClient = new Pipe();
            _pending.Writer.TryWrite(new DuplexStream(toServer.Reader.AsStream(), toClient.Writer.AsStream()));
            return Task.FromResult<Stream>(new DuplexStream(toClient.Reader.AsStream(), toServer.Writer.AsStream()));
        }

        public async Task<Stream> AcceptAsync(CancellationToken cancellationToken) => await _pending.Reader.ReadAsync(cancellationToken);

        public void Dispose() => _pending.Writer.TryComplete();
    }

    private sealed class DuplexStream(Stream input, Stream output) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => output.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => output.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => input.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => input.ReadAsync(buffer, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => output.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => output.WriteAsync(buffer, cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                input.Dispose();
                output.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
