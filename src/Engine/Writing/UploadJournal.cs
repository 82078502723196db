using System.Text.Json;

namespace BucketMount.Engine.Writing;

/// <summary>
/// The durable list of uploads not yet done: one small JSON file per dirty file, written to a temp file, fsynced
/// and renamed, so a crash leaves either the old record or the new one, never half of one.
/// </summary>
public sealed class UploadJournal
{
    private readonly string _folder;

    public UploadJournal(string folder)
    {
        _folder = folder;
        Directory.CreateDirectory(folder);
    }

    public void Write(JournalRecord record)
    {
        var path = RecordPath(record.Id);
        var temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(file, record, JournalJson.Default.JournalRecord);
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }

    public void Delete(long id)
    {
        try
        {
            File.Delete(RecordPath(id));
        }
        catch (IOException)
        {
            // Retried by the next start: a record whose upload already happened uploads once more, harmlessly.
        }
    }

    /// <summary>Every record left by earlier runs whose staging file still exists; unreadable ones are set aside.</summary>
    public List<JournalRecord> LoadAll()
    {
        var records = new List<JournalRecord>();
        foreach (var file in Directory.EnumerateFiles(_folder, "*.json"))
        {
            JournalRecord? record = null;
            try
            {
                record = JsonSerializer.Deserialize(File.ReadAllBytes(file), JournalJson.Default.JournalRecord);
            }
            catch (JsonException)
            {
            }

            if (record is not null && File.Exists(record.StagingFile))
            {
                records.Add(record);
            }
            else
            {
                // Keep what cannot be used for a person to look at, out of the way of the next start.
                File.Move(file, file + ".unusable", overwrite: true);
            }
        }

        return records;
    }

    private string RecordPath(long id) => Path.Combine(_folder, $"{id:D19}.json");
}
