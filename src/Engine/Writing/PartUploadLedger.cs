using BucketMount.Engine.Files;
using Microsoft.Extensions.Logging;

namespace BucketMount.Engine.Writing;

/// <summary>
/// Records in the journal every upload the store keeps parts of (S3 multipart), before its first part is sent, until
/// it ends. A crash between the two would otherwise leave its parts in the bucket, invisible and billed, until a
/// lifecycle rule removes them (if the bucket has one); the next start finds the record and discards them.
/// </summary>
internal sealed class PartUploadLedger(UploadJournal journal, FileRegistry registry, ILogger logger)
{
    /// <summary>Records a begun upload; returns the ticket to end it with, or null when it could not be recorded.</summary>
    public long? Began(string key, string uploadId)
    {
        var id = registry.NextId();
        try
        {
            journal.WritePartUpload(new PartUploadRecord { Id = id, Key = key, UploadId = uploadId });
            return id;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            // The upload itself is fine; only a crash before it ends would leave its parts behind.
            logger.LogWarning("Could not record the upload of {Key} in the journal ({Message}); should the mount crash before it ends, its parts stay in the bucket until a lifecycle rule removes them.", key, e.Message);
            return null;
        }
    }

    /// <summary>The upload completed or was aborted: nothing of it is left to discard.</summary>
    public void Ended(long? ticket)
    {
        if (ticket is { } id)
        {
            journal.Delete(id);
        }
    }
}
