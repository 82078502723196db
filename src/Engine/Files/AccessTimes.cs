namespace BucketMount.Engine.Files;

/// <summary>
/// The mount's atime policy, Linux's <c>relatime</c>: a read moves a file's access time only when it is not
/// newer than the file's last modification or status change, or is a day old. The move happens in memory and
/// is never a request of its own: it is stored with the file's next upload or attribute copy, and otherwise lasts
/// as long as the mount remembers the file's attributes. A time set explicitly (touch -a, utimensat) is stored at once.
/// </summary>
internal static class AccessTimes
{
    /// <summary>How old an access time may get before a read moves it anyway (relatime's rule).</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromDays(1);

    /// <summary>Applies a read at <paramref name="now"/> to <paramref name="file"/> (caller holds its State lock); true when atime moved.</summary>
    public static bool OnRead(OpenFile file, DateTimeOffset now)
    {
        var accessed = file.AccessTime ?? file.ModifiedTime;
        var stale = accessed <= file.ModifiedTime || (file.ChangeTime is { } changed && accessed <= changed) || now - accessed >= MaxAge;
        if (!stale || accessed >= now)
        {
            return false;
        }

        file.AccessTime = now;
        file.AccessTimeSubTickNs = 0;
        return true;
    }
}
