using BucketMount.Engine.Namespace;
using Microsoft.Extensions.Logging;

namespace BucketMount.Engine;

public sealed partial class MountEngine
{
    /// <summary>
    /// The path to use for <paramref name="path"/>: normalized and, on a case-insensitive mount (the Windows host),
    /// with each existing component spelled as the store spells it. An exact match always wins; otherwise the one
    /// name that differs only in case; when several do ("README.TXT" asked, "Readme.txt" and "readme.txt" stored),
    /// the first in ordinal order is used and a warning names the others. Components that do not exist keep the
    /// spelling given (a file being created).
    /// </summary>
    private async Task<string> ResolveAsync(string path, CancellationToken cancellationToken)
    {
        path = Normalize(path);
        _keys.CheckPath(path);
        if (!_options.CaseInsensitive || FsPath.IsRoot(path))
        {
            return path;
        }

        var resolved = FsPath.Root;
        var segments = path[1..].Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            var exact = FsPath.Combine(resolved, segments[i]);
            if (await LookupAsync(exact, cancellationToken).ConfigureAwait(false) is not null
                || await LookupAsync(resolved, cancellationToken).ConfigureAwait(false) is not { IsDirectory: true })
            {
                resolved = exact;
                continue;
            }

            var matches = (await StoreCallAsync(resolved, () => _namespace.ListAsync(resolved, cancellationToken)).ConfigureAwait(false)).FindIgnoringCase(segments[i]);
            if (matches.Count > 1)
            {
                LogCaseCollision(_logger, exact, string.Join(", ", matches.Select(m => m.Name)), matches[0].Name);
            }

            resolved = FsPath.Combine(resolved, matches.Count > 0 ? matches[0].Name : segments[i]);
            if (matches.Count == 0)
            {
                // Nothing below a missing component can exist: keep the rest as given.
                return FsPath.Combine(resolved, string.Join('/', segments[(i + 1)..])).TrimEnd('/');
            }
        }

        return resolved;
    }

    /// <summary>A host's path normalized; '\' separates only on the Windows host, on Linux it is part of a name.</summary>
    private string Normalize(string path) => FsPath.Normalize(path, backslashSeparates: _keys.Encoding.Platform == NamePlatform.Windows);

    [LoggerMessage(Level = LogLevel.Warning, Message = "'{Path}' matches several names that differ only in case ({Names}); using '{Chosen}'. Open the others by their exact names.")]
    private static partial void LogCaseCollision(ILogger logger, string path, string names, string chosen);
}
