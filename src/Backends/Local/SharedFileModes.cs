namespace BucketMount.Backends.Local;

/// <summary>
/// The umask the user started the program with. The CLI narrows its own umask to 077 so its cache, journal and
/// logs are private; the local-folder store's data is the user's own bucket, shared with whatever else reads that
/// folder, so its files and folders get the modes the user's umask would have given (0666/0777 narrowed by it).
/// </summary>
public static class SharedFileModes
{
    /// <summary>Null: the process umask applies unchanged (library use, tests, Windows).</summary>
    public static uint? UserUmask { get; set; }
}
