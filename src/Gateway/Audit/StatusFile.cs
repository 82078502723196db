using System.Text.Json;

namespace BucketMount.Gateway.Audit;

/// <summary>
/// The gateway's counters as a small JSON file (in the user's private run folder, 0700) that `gateway status`
/// reads: per grant its requests, refusals, throttling and bytes, never a key or secret.
/// </summary>
internal static class StatusFile
{
    public static void Write(string path, string listen, string bucket, DateTimeOffset started, int revoked, GrantUsage usage)
    {
        var temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        using (var json = new Utf8JsonWriter(file, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("pid", Environment.ProcessId);
            json.WriteString("listen", listen);
            json.WriteString("bucket", bucket);
            json.WriteString("started", started.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteNumber("revokedGrants", revoked);
            json.WriteNumber("grantRequestsPerSecond", usage.RequestsPerSecond);
            json.WriteNumber("grantBytesPerSecond", usage.BytesPerSecond);
            json.WriteStartArray("grants");
            foreach (var (id, counters) in usage.Snapshot.OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                json.WriteStartObject();
                json.WriteString("id", id);
                json.WriteString("prefix", counters.Prefix);
                json.WriteString("mode", counters.Mode);
                json.WriteNumber("requests", Interlocked.Read(ref counters.Requests));
                json.WriteNumber("refused", Interlocked.Read(ref counters.Refused));
                json.WriteNumber("throttled", Interlocked.Read(ref counters.Throttled));
                json.WriteNumber("bytesIn", Interlocked.Read(ref counters.BytesIn));
                json.WriteNumber("bytesOut", Interlocked.Read(ref counters.BytesOut));
                json.WriteNumber("bytePauses", Interlocked.Read(ref counters.BytePauses));
                json.WriteNumber("lastSeenUnix", Interlocked.Read(ref counters.LastSeenUnixSeconds));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        File.Move(temporary, path, overwrite: true);
    }
}
