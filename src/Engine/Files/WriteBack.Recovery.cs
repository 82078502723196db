using BucketMount.Engine.Caching;
using BucketMount.Engine.Writing;

namespace BucketMount.Engine.Files;

/// <summary>Start-up after a crash: what the journal says was closed or fsynced comes back and is uploaded.</summary>
internal sealed partial class WriteBack
{
    /// <summary>Re-creates files from journal records left by a crash and uploads them in the background.</summary>
    public List<OpenFile> Recover()
    {
        var recovered = new List<OpenFile>();
        var contents = journal.Load();
        DiscardLeftoverParts(contents.PartUploads);
        foreach (var record in contents.Files.OrderBy(r => r.Id))
        {
            registry.ReserveIdsUpTo(record.Id);
            var file = new OpenFile(record.Id, record.Path)
            {
                Staging = StagingFile.Open(record.StagingFile, record.Size, descriptors),
                Size = record.Size,
                ModifiedTime = record.ModifiedTime,
                Mode = record.Mode,
                Uid = record.Uid,
                Gid = record.Gid,
                WindowsAttributes = record.WindowsAttributes,
                CreationTime = record.CreationTime,
                ChangeTime = record.ChangeTime,
                AccessTime = record.AccessTime,
                ModifiedTimeSubTickNs = record.ModifiedTimeSubTickNs,
                AccessTimeSubTickNs = record.AccessTimeSubTickNs,
                Remote = record.BaseETag is null ? null : new ObjectVersion(keys.ToKey(record.Path), record.BaseETag, -1),
                UploadId = record.UploadId ?? UploadIds.New(),
                KeepAsConflictCopy = record.KeepAsConflictCopy,
                Dirty = true,
                Generation = 1,
                JournaledGeneration = 1,
            };

            // The newest record for a path wins; an older one was superseded before the crash.
            if (registry.Find(record.Path) is { } older)
            {
                registry.Remove(older);
                Discard(older);
            }

            registry.Add(file);
            counters.AddDirty(record.Size);
            recovered.Add(file);
        }

        foreach (var file in recovered.Where(f => registry.Find(f.Path) == f))
        {
            Schedule(file, immediately: true);
        }

        return recovered;
    }
}
