using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace BucketMount.Engine.Writing;

/// <summary>
/// The durable list of uploads not yet done: an append-only log of framed records (<see cref="JournalLog"/>).
/// A close appends one record and fsyncs once: no temp file, no rename, and for a small file its bytes ride in
/// the record, so its staging file needs no fsync of its own. That is most of what a close costs on a real disk
/// (an untar or a build writes thousands of small files); closes that arrive while an fsync runs share the next one
/// (group commit), so parallel writers do not queue one fsync each. A finished upload appends a "done" record without an
/// fsync: losing one only repeats an upload. The log starts over when nothing in it is pending; it rolls to a
/// new segment when it grows, and an old segment goes once none of its records is pending.
/// </summary>
internal sealed class UploadJournal : IDisposable
{
    /// <summary>Files up to this size travel inside their journal record instead of fsyncing the staging file.</summary>
    public const int InlineContentBytes = 128 * 1024;

    private const long SegmentBytes = 8 * 1024 * 1024;
    private readonly object _gate = new();

    // Group commit: one writer at a time fsyncs, covering every record appended before its fsync began, so closes
    // that arrive while an fsync runs share the next one instead of queueing one each.
    private readonly object _flushGate = new();
    private readonly Action<SafeFileHandle> _flush;
    private long _appended;
    private long _flushed;
    private readonly string _folder;

    // Which segment holds each pending id's newest record, and how many pending records each segment holds.
    private readonly Dictionary<long, long> _segmentOfId = [];
    private readonly Dictionary<long, int> _pendingInSegment = [];
    private long _segment;
    private SafeFileHandle? _handle;
    private long _length;
    private bool _disposed;

    public UploadJournal(string folder)
        : this(folder, RandomAccess.FlushToDisk)
    {
    }

    /// <summary>With the fsync given (tests hold it to see closes share one).</summary>
    internal UploadJournal(string folder, Action<SafeFileHandle> flush)
    {
        _flush = flush;
        _folder = folder;
        Directory.CreateDirectory(folder);
        _segment = JournalLog.Segments(folder).Select(s => s.Number).DefaultIfEmpty(0).Max() + 1;
    }

    /// <summary>How many records the journal holds as pending: files not yet uploaded, uploads in parts not yet ended.</summary>
    public int PendingCount
    {
        get
        {
            lock (_gate)
            {
                return _segmentOfId.Count;
            }
        }
    }

    /// <summary>
    /// Appends <paramref name="record"/> and fsyncs the log. With <paramref name="inlineContent"/> (the whole file,
    /// at most <see cref="InlineContentBytes"/>) recovery rebuilds the staging file from the record.
    /// </summary>
    public void Write(JournalRecord record, byte[]? inlineContent = null)
    {
        var entry = PendingEntry(record, inlineContent);
        long end;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Append(entry);
            Track(record.Id);
            end = _appended;
        }

        FlushThrough(end);
    }

    /// <summary>Returns once everything appended up to <paramref name="end"/> is on disk, fsyncing at most once.</summary>
    private void FlushThrough(long end)
    {
        lock (_flushGate)
        {
            if (Volatile.Read(ref _flushed) >= end)
            {
                return; // An fsync that began after this record was appended covered it.
            }

            SafeFileHandle handle;
            long upTo;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                handle = _handle!;
                upTo = _appended;
            }

            // Outside the append lock, so that other closes append meanwhile and share the next fsync. A roll may
            // close this handle meanwhile; it fsyncs the segment first, which is what is needed.
            var added = false;
            try
            {
                handle.DangerousAddRef(ref added);
                _flush(handle);
            }
            catch (ObjectDisposedException) when (!added)
            {
                // Closed by a roll, which fsynced it.
            }
            finally
            {
                if (added)
                {
                    handle.DangerousRelease();
                }
            }

            Volatile.Write(ref _flushed, upTo);
        }
    }

    /// <summary>
    /// Records an upload in parts the store has begun, before its first part is sent; <see cref="Delete"/> with the
    /// same id once it completed or was aborted. Not fsynced: a killed process's write survives in the page cache,
    /// and only a power cut could lose it, costing leftover parts (for the store's lifecycle rule), never data; an
    /// fsync would stall the parts behind it while a large file is written beside it (ext4 commits that file's dirty
    /// pages with it).
    /// </summary>
    public void WritePartUpload(PartUploadRecord record)
    {
        var entry = PartUploadEntry(record);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Append(entry);
            Track(record.Id);
        }
    }

    /// <summary>
    /// Marks an id's upload done (or its file gone). Ids the journal does not hold cost nothing. Not fsynced unless
    /// <paramref name="durably"/>: a lost mark only repeats an upload, but for a file deleted it would bring the file
    /// back, so a delete's mark is fsynced (sharing the fsync with closes, as theirs do).
    /// </summary>
    public void Delete(long id, bool durably = false)
    {
        long end;
        lock (_gate)
        {
            // After shutdown a finishing upload's mark is simply not written: the next start repeats that upload.
            if (_disposed || !_segmentOfId.ContainsKey(id))
            {
                return;
            }

            try
            {
                Append(JournalLog.Frame(JournalLog.Kind.Done, id, [], null));
            }
            catch (IOException)
            {
                // The next start uploads it once more, harmlessly.
            }

            Untrack(id);
            DropUnusedSegments();
            end = _appended;
        }

        if (!durably)
        {
            return;
        }

        try
        {
            FlushThrough(end);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The mark is written; only a power cut before the cache disk recovers could lose it.
        }
    }

    /// <summary>
    /// Every pending record left by earlier runs, with staging files rebuilt from inline content; records whose
    /// staging file is gone are set aside as JSON for a person to look at. Rewrites what is pending (part uploads
    /// too, until they are marked done) into one fresh, fsynced segment and deletes the rest (and records of the
    /// older one-file-per-record layout).
    /// </summary>
    public JournalContents Load()
    {
        lock (_gate)
        {
            var pending = new Dictionary<long, (JournalRecord Record, byte[]? Inline)>();
            var partUploads = new Dictionary<long, PartUploadRecord>();
            var oldFiles = new List<string>();
            foreach (var legacy in Directory.EnumerateFiles(_folder, "*.json"))
            {
                oldFiles.Add(legacy);
                if (TryReadLegacy(legacy) is { } record)
                {
                    pending[record.Id] = (record, null);
                }
            }

            foreach (var (number, path) in JournalLog.Segments(_folder).OrderBy(s => s.Number))
            {
                if (number >= _segment)
                {
                    continue;
                }

                oldFiles.Add(path);
                foreach (var entry in JournalLog.Read(path))
                {
                    if (entry.Kind == JournalLog.Kind.Done)
                    {
                        pending.Remove(entry.Id);
                        partUploads.Remove(entry.Id);
                    }
                    else if (entry.Kind == JournalLog.Kind.PartUpload)
                    {
                        if (TryParsePartUpload(entry.Json) is { } partUpload)
                        {
                            partUploads[entry.Id] = partUpload;
                        }
                    }
                    else if (TryParse(entry.Json) is { } record)
                    {
                        pending[entry.Id] = (record, entry.Inline);
                    }
                }
            }

            var usable = new List<JournalRecord>();
            foreach (var (record, inline) in pending.Values.OrderBy(p => p.Record.Id))
            {
                if (inline is not null)
                {
                    RestoreStaging(record, inline);
                }

                if (File.Exists(record.StagingFile))
                {
                    Append(PendingEntry(record, inline));
                    Track(record.Id);
                    usable.Add(record);
                }
                else
                {
                    File.WriteAllBytes(Path.Combine(_folder, $"{record.Id:D19}.unusable"), Serialize(record));
                }
            }

            foreach (var partUpload in partUploads.Values.OrderBy(p => p.Id))
            {
                Append(PartUploadEntry(partUpload));
                Track(partUpload.Id);
            }

            if (_handle is not null)
            {
                _flush(_handle);
            }

            // Only now that the fresh segment is on disk may the old records go.
            foreach (var file in oldFiles)
            {
                File.Delete(file);
            }

            DropUnusedSegments();
            return new JournalContents(usable, [.. partUploads.Values.OrderBy(p => p.Id)]);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            if (_handle is not null)
            {
                // A close between its append and its group's fsync would otherwise find the handle closed unsynced.
                try
                {
                    _flush(_handle);
                }
                catch (IOException)
                {
                    // Shutting down: what was not synced is repeated or recovered by the next start.
                }

                _handle.Dispose();
            }

            _handle = null;
        }
    }

    private static byte[] Serialize(JournalRecord record) => JsonSerializer.SerializeToUtf8Bytes(record, JournalJson.Default.JournalRecord);

    private static byte[] PendingEntry(JournalRecord record, byte[]? inlineContent) =>
        JournalLog.Frame(JournalLog.Kind.Pending, record.Id, Serialize(record), inlineContent);

    private static byte[] PartUploadEntry(PartUploadRecord record) =>
        JournalLog.Frame(JournalLog.Kind.PartUpload, record.Id, JsonSerializer.SerializeToUtf8Bytes(record, JournalJson.Default.PartUploadRecord), null);

    private static JournalRecord? TryParse(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, JournalJson.Default.JournalRecord);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static PartUploadRecord? TryParsePartUpload(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, JournalJson.Default.PartUploadRecord);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JournalRecord? TryReadLegacy(string path)
    {
        try
        {
            return TryParse(File.ReadAllBytes(path));
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static void RestoreStaging(JournalRecord record, byte[] content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(record.StagingFile)!);
        using var handle = File.OpenHandle(record.StagingFile, FileMode.Create, FileAccess.Write);
        RandomAccess.Write(handle, content, 0);
    }

    /// <summary>Appends without an fsync: a close's record is made durable by <see cref="FlushThrough"/>.</summary>
    private void Append(byte[] entry)
    {
        if (_handle is null || (_length > 0 && _length + entry.Length > SegmentBytes))
        {
            Roll();
        }

        RandomAccess.Write(_handle!, entry, _length);
        _length += entry.Length;
        _appended += entry.Length;
    }

    private void Roll()
    {
        if (_handle is not null)
        {
            // Pending records may still wait for their group's fsync, which would then find this handle closed.
            _flush(_handle);
            _handle.Dispose();
            _segment++;
        }

        _handle = File.OpenHandle(JournalLog.SegmentPath(_folder, _segment), FileMode.Create, FileAccess.Write, FileShare.Read);
        _length = 0;
        _pendingInSegment[_segment] = 0;
    }

    private void Track(long id)
    {
        Untrack(id);
        _segmentOfId[id] = _segment;
        _pendingInSegment[_segment] = _pendingInSegment.GetValueOrDefault(_segment) + 1;
    }

    private void Untrack(long id)
    {
        if (_segmentOfId.Remove(id, out var segment))
        {
            _pendingInSegment[segment]--;
        }
    }

    private void DropUnusedSegments()
    {
        foreach (var (segment, count) in _pendingInSegment.Where(p => p.Value == 0).ToList())
        {
            if (segment != _segment)
            {
                _pendingInSegment.Remove(segment);
                TryDelete(JournalLog.SegmentPath(_folder, segment));
            }
            else if (_handle is not null && _length > 0)
            {
                // Nothing pending: start the log over, so an idle mount's journal is empty.
                RandomAccess.SetLength(_handle, 0);
                _length = 0;
            }
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Its records are all done; the next start deletes it.
        }
    }
}
