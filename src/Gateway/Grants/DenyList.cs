namespace BucketMount.Gateway.Grants;

/// <summary>
/// Revoked grant ids, one per line ('#' starts a comment), from a file the orchestrator edits. Re-read when its
/// modification time or size changes (looked at no more than once a second) and at once on <see cref="Reload"/>
/// (SIGHUP). A file that cannot be read keeps the last list and says so: revocations are never forgotten by accident.
/// </summary>
internal sealed class DenyList(string? path, TimeProvider clock, Action<string> log)
{
    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);
    private volatile HashSet<string> _revoked = [];
    private DateTimeOffset _nextCheck = DateTimeOffset.MinValue;
    private (DateTime Modified, long Size) _seen;

    public int Count => _revoked.Count;

    public bool IsRevoked(string grantId)
    {
        if (path is not null && clock.GetUtcNow() >= _nextCheck)
        {
            _nextCheck = clock.GetUtcNow() + CheckInterval;
            var info = new FileInfo(path);
            var stamp = info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1L);
            if (stamp != _seen)
            {
                Reload();
            }
        }

        return _revoked.Contains(grantId);
    }

    public void Reload()
    {
        if (path is null)
        {
            return;
        }

        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                // Deleting the file by mistake must not bring revoked grants back: empty it to clear the list.
                _seen = (DateTime.MinValue, -1);
                log($"deny list {path} does not exist; {(_revoked.Count == 0 ? "no grant is revoked" : $"keeping the {_revoked.Count} revocation(s) read before")}");
                return;
            }

            _seen = (info.LastWriteTimeUtc, info.Length);
            _revoked = File.ReadLines(path)
                .Select(line => (line.Contains('#') ? line[..line.IndexOf('#')] : line).Trim().ToLowerInvariant())
                .Where(line => line.Length > 0)
                .ToHashSet(StringComparer.Ordinal);
            log($"deny list {path}: {_revoked.Count} revoked grant(s)");
        }
        catch (IOException e)
        {
            log($"deny list {path} could not be read ({e.Message}); keeping the {_revoked.Count} revocation(s) read before");
        }
        catch (UnauthorizedAccessException)
        {
            log($"deny list {path} is not readable; keeping the {_revoked.Count} revocation(s) read before");
        }
    }
}
