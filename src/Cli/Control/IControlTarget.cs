namespace BucketMount.Cli.Control;

/// <summary>
/// What the control channel acts on: the one mount of a `bucketmount mount` process, or every mount of the Windows
/// service. <c>mount</c> null means "all of them" (or the only one). Progress lines go to <c>progress</c> while a
/// long request (flush, unmount) waits.
/// </summary>
internal interface IControlTarget
{
    IReadOnlyList<MountStatus> List();

    Task<ControlReply> MountAsync(string mount, CancellationToken cancellationToken);

    Task<ControlReply> UnmountAsync(string? mount, bool force, Action<string> progress, CancellationToken cancellationToken);

    ControlReply SetUploadsPaused(string? mount, bool paused);

    Task<ControlReply> FlushAsync(string? mount, Action<string> progress, CancellationToken cancellationToken);
}
