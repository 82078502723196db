using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace BucketMount.Cli.Control;

/// <summary>
/// The control channel's protocol, over any stream (Unix socket, named pipe, or a stream pair in tests): one JSON
/// request line in; progress lines, then one final reply line out.
/// </summary>
internal static class ControlProtocol
{
    public const string Commands = "list, status, pause, resume, flush, mount or unmount";

    /// <summary>Answers one request read from <paramref name="stream"/>.</summary>
    public static async Task ServeAsync(Stream stream, IControlTarget target, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8, leaveOpen: true);
        await using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true) { AutoFlush = true };
        ControlReply reply;
        try
        {
            var request = JsonSerializer.Deserialize(await reader.ReadLineAsync(cancellationToken) ?? "{}", CliJson.Default.ControlRequest);
            reply = request is null ? new ControlReply(false, "empty request; use " + Commands) : await AnswerAsync(request, target, writer, cancellationToken);
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            reply = new ControlReply(false, e.Message);
        }

        try
        {
            await writer.WriteLineAsync(JsonSerializer.Serialize(reply, CliJson.Default.ControlReply));
        }
        catch (IOException)
        {
            // The asker went away before the answer: nothing to tell anyone.
        }
    }

    /// <summary>Sends one request and returns the final reply, passing progress lines that come before it to <paramref name="progress"/>.</summary>
    public static async Task<ControlReply?> AskAsync(Stream stream, ControlRequest request, Action<string>? progress, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true) { AutoFlush = true };
        using var reader = new StreamReader(stream, Encoding.UTF8, leaveOpen: true);
        await writer.WriteLineAsync(JsonSerializer.Serialize(request, CliJson.Default.ControlRequest));
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            var reply = JsonSerializer.Deserialize(line, CliJson.Default.ControlReply);
            if (reply?.Progress is { } text)
            {
                progress?.Invoke(text);
                continue;
            }

            return reply;
        }

        return null;
    }

    private static async Task<ControlReply> AnswerAsync(ControlRequest request, IControlTarget target, StreamWriter writer, CancellationToken cancellationToken)
    {
        switch (request.Command)
        {
            case "list":
                return new ControlReply(true, Mounts: target.List());
            case "status":
                var mounts = target.List();
                var asked = request.Mount is null ? mounts : [.. mounts.Where(m => SameMount(m.MountPoint, request.Mount))];
                return asked.Count == 0 && request.Mount is not null
                    ? new ControlReply(false, $"no running mount at {request.Mount}.")
                    : new ControlReply(true, Status: asked.FirstOrDefault(), Mounts: asked);
            case "pause" or "resume":
                return target.SetUploadsPaused(request.Mount, request.Command == "pause");
            case "flush":
                return await RelayProgressAsync(progress => target.FlushAsync(request.Mount, progress, cancellationToken), writer, cancellationToken);
            case "mount" when request.Mount is { Length: > 0 } mount:
                return await target.MountAsync(mount, cancellationToken);
            case "mount":
                return new ControlReply(false, "mount needs the name or mount point of a configured mount (see `bucketmount mounts list`).");
            case "unmount":
                return await RelayProgressAsync(progress => target.UnmountAsync(request.Mount, request.Force, progress, cancellationToken), writer, cancellationToken);
            default:
                return new ControlReply(false, $"unknown command '{request.Command}'; use {Commands}.");
        }
    }

    /// <summary>
    /// Runs a long request, passing its progress lines on while it waits (only the newest if the asker reads slowly).
    /// If the asker goes away (Ctrl+C on `unmount`), the request goes on regardless.
    /// </summary>
    private static async Task<ControlReply> RelayProgressAsync(Func<Action<string>, Task<ControlReply>> operation, StreamWriter writer, CancellationToken cancellationToken)
    {
        var lines = Channel.CreateBounded<string>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest });
        var outcome = operation(line => lines.Writer.TryWrite(line));
        var listening = true;
        while (!outcome.IsCompleted && listening)
        {
            var next = lines.Reader.WaitToReadAsync(cancellationToken).AsTask();
            if (await Task.WhenAny(outcome, next) == next && lines.Reader.TryRead(out var line))
            {
                try
                {
                    await writer.WriteLineAsync(JsonSerializer.Serialize(new ControlReply(true, Progress: line), CliJson.Default.ControlReply));
                }
                catch (IOException)
                {
                    listening = false;
                }
            }
        }

        return await outcome;
    }

    /// <summary>The same mount point however it was typed (X:, x:\, a trailing separator).</summary>
    internal static bool SameMount(string mountPoint, string asked)
    {
        static string Normal(string text)
        {
            var trimmed = text.Trim().TrimEnd('\\', '/');
            return trimmed.Length == 1 && char.IsAsciiLetter(trimmed[0]) ? trimmed + ":" : trimmed;
        }

        // Windows paths (a Dokan mount, also when the host runs on Linux against the stand-in) ignore case.
        var windowsPath = OperatingSystem.IsWindows() || mountPoint.Length >= 2 && mountPoint[1] == ':';
        return string.Equals(Normal(mountPoint), Normal(asked), windowsPath ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
    }
}
