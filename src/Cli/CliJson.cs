using System.Text.Json;
using System.Text.Json.Serialization;
using BucketMount.Cli.Configuration;
using BucketMount.Cli.Control;

namespace BucketMount.Cli;

/// <summary>
/// Every JSON shape the CLI reads or writes (the control socket's messages, `status --json`, the remotes file),
/// generated at build time: the native (AOT) build has no reflection-based serializer.
/// </summary>
[JsonSerializable(typeof(ControlRequest))]
[JsonSerializable(typeof(ControlReply))]
[JsonSerializable(typeof(List<MountStatus>))]
[JsonSerializable(typeof(NamedRemote))]
[JsonSerializable(typeof(ConfiguredMount))]
internal sealed partial class CliJson : JsonSerializerContext
{
    /// <summary>`status --json` is read by people too.</summary>
    public static CliJson Indented { get; } = new(new JsonSerializerOptions { WriteIndented = true });
}
