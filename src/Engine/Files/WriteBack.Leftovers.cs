using BucketMount.Backends;
using BucketMount.Engine.Writing;
using Microsoft.Extensions.Logging;

namespace BucketMount.Engine.Files;

/// <summary>
/// The parts of uploads a crash interrupted (recorded by <see cref="PartUploadLedger"/>): discarded at start, in the
/// background, so that a mount killed while large files were uploading or being written leaves nothing billed behind.
/// </summary>
internal sealed partial class WriteBack
{
    private Task _leftoverSweep = Task.CompletedTask;

    private void DiscardLeftoverParts(IReadOnlyList<PartUploadRecord> leftovers)
    {
        foreach (var leftover in leftovers)
        {
            registry.ReserveIdsUpTo(leftover.Id);
        }

        if (leftovers.Count > 0)
        {
            _leftoverSweep = Task.Run(() => SweepAsync(leftovers));
        }
    }

    private async Task SweepAsync(IReadOnlyList<PartUploadRecord> leftovers)
    {
        foreach (var leftover in leftovers)
        {
            try
            {
                await store.AbortPartUploadAsync(leftover.Key, leftover.UploadId, _shutdown.Token).ConfigureAwait(false);
                journal.Delete(leftover.Id);
                counters.LeftoverUploadDiscarded();
                logger.LogInformation("Discarded the parts of an upload of {Key} that a crash interrupted.", leftover.Key);
            }
            catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
            {
                return; // Still recorded: the next start tries again.
            }
            catch (ObjectStoreException e) when (e.Kind is ObjectStoreErrorKind.Transient or ObjectStoreErrorKind.Throttled)
            {
                logger.LogWarning("Could not discard the parts of an upload of {Key} that a crash interrupted ({Message}); the next mount tries again.", leftover.Key, e.Message);
            }
            catch (ObjectStoreException e)
            {
                // Retrying cannot help (the store has no abort, or refuses it): forget it, and say where the parts are.
                journal.Delete(leftover.Id);
                counters.RecordError($"parts of an interrupted upload of {leftover.Key} (upload id {leftover.UploadId}) could not be discarded: {e.Message}");
                logger.LogWarning("Could not discard the parts of an upload of {Key} (upload id {UploadId}) that a crash interrupted ({Message}); they stay in the bucket until a lifecycle rule (AbortIncompleteMultipartUpload) removes them.",
                    leftover.Key, leftover.UploadId, e.Message);
            }
        }
    }
}
