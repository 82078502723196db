using BucketMount.Cli.Control;
using BucketMount.Cli.Commands;
using BucketMount.Fuse;

namespace BucketMount.Cli.Mounting;

/// <summary>
/// Before a Linux mount: a directory left dead by a crashed mount of ours is detached (so the new mount can take its
/// place and finish what the journal holds), and a directory where one of ours is alive is refused, naming it,
/// rather than stacking a second mount on top and orphaning the first.
/// </summary>
internal static class MountPointGuard
{
    public static async Task CheckAsync(string mountPoint, CancellationToken cancellationToken)
    {
        if (MountTable.IsStale(mountPoint))
        {
            if (!MountTable.DetachStale(mountPoint))
            {
                throw new InvalidOperationException(
                    $"{mountPoint} is left over from a bucketmount whose process died (Transport endpoint is not connected), and detaching it failed: " +
                    $"run `fusermount3 -u -z {mountPoint}` (or `umount -l {mountPoint}` as root), then mount again.");
            }

            await Console.Error.WriteLineAsync(
                $"bucketmount: {mountPoint} was left by a mount whose process died (Transport endpoint is not connected); detached it. " +
                "Changes its journal still holds are uploaded by this mount when it uses the same cache directory.");
            return;
        }

        if (MountTable.IsMounted(mountPoint)
            && await ControlEndpoint.ForMount(mountPoint).AskAsync(new ControlRequest("status"), null, cancellationToken) is { Status: { } running })
        {
            throw new ArgumentException(
                $"{mountPoint} is already mounted by bucketmount (pid {running.Pid}) from {running.Remote}: unmount it first (`bucketmount unmount {mountPoint}`) or choose another directory.");
        }
    }
}
