using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BucketMount.Fuse;

/// <summary>
/// Where the FUSE callbacks report what should not happen (an error without an errno, an unexpected exception).
/// Each kind is logged once per process: a broken mapping hit by every request must not flood the log, and one
/// line is enough to name it. Static because the callbacks are: libfuse calls them without an instance.
/// </summary>
internal static class FuseErrorLog
{
    private static readonly ConcurrentDictionary<string, byte> s_logged = new(StringComparer.Ordinal);
    private static ILogger s_logger = NullLogger.Instance;

    public static void Use(ILogger logger) => s_logger = logger;

    /// <summary>Logs <paramref name="message"/> the first time <paramref name="kind"/> is seen; true then.</summary>
    public static bool Once(string kind, string message)
    {
        if (!s_logged.TryAdd(kind, 0))
        {
            return false;
        }

        s_logger.LogError("{Message}", message);
        return true;
    }

    /// <summary>Kinds logged so far, for tests.</summary>
    public static bool WasLogged(string kind) => s_logged.ContainsKey(kind);
}
