namespace BucketMount.Engine.Writing;

/// <summary>
/// Handing an uploaded staging copy over to the block cache (see Files/UploadedCopies.cs): a copy on disk of
/// exactly one cache block becomes that block by a rename, instead of being read, written again and deleted.
/// </summary>
public sealed partial class StagingFile
{
    /// <summary>Copies present content at <paramref name="offset"/> (synchronous: the copy is local, see <see cref="ReadAsync"/>).</summary>
    public void CopyTo(long offset, Span<byte> destination) => Read(offset, destination);

    /// <summary>
    /// Closes the copy and gives up its file, whose first <paramref name="length"/> bytes are all its content, to a
    /// caller who moves it away (or deletes it): null, and nothing changed, when the content is in memory, the copy
    /// lost its name or still keeps a copy it replaced, or the file is not exactly <paramref name="length"/> long
    /// (a sparse tail, say). After this the copy reads nothing and <see cref="Delete"/> leaves the file alone.
    /// </summary>
    public string? DetachFile(long length)
    {
        lock (_gate)
        {
            if (_handle is null || _nameless || _replaced is not null || _pinnedLength != 0
                || RandomAccess.GetLength(_handle) != length || !_present.Covers(0, length))
            {
                return null;
            }

            _handle.Dispose();
            _handle = null;

            // Read from nothing from now on: a stray reader sees zeros, never another file's bytes.
            _memory = [];
            _memoryLength = 0;
            return FilePath;
        }
    }
}
