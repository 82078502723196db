using System.Globalization;
using BucketMount.Backends;

namespace BucketMount.Gateway.Audit;

/// <summary>
/// One line per request: time, grant id, operation, key (escaped as `ls -b` shows it), status, body bytes in and
/// out, milliseconds, how the body was signed (payload=Sha256, Unsigned, StreamingSigned…), and for a refusal the reason
/// the operator needs. Never a secret or a signature.
/// </summary>
internal sealed class AuditLog(TextWriter output) : IDisposable
{
    private readonly Lock _lock = new();

    public void Write(DateTimeOffset at, string grantId, string operation, string key, int status, long bytesIn, long bytesOut, TimeSpan elapsed, string? payload, string? reason)
    {
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{at.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fff}Z grant={grantId} op={operation} key={Quote(key)} status={status} in={bytesIn} out={bytesOut} ms={(long)elapsed.TotalMilliseconds}");
        if (payload is not null)
        {
            line += " payload=" + payload;
        }

        if (reason is not null)
        {
            line += " reason=" + Quote(reason);
        }

        lock (_lock)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }

    private static string Quote(string text) => "\"" + PrintableNames.Escape(text).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    public void Dispose() => output.Dispose();
}
