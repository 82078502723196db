namespace BucketMount.Engine.Hosting;

/// <summary>A process that keeps a mount busy, and how: its working directory, its root, or an open file.</summary>
public sealed record MountHolder(int ProcessId, string Command, string Use)
{
    public override string ToString() => $"{Command} (pid {ProcessId}, {Use})";
}
