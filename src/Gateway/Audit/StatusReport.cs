using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace BucketMount.Gateway.Audit;

/// <summary>`gateway status`: the running gateways' status files, as text or as their JSON.</summary>
internal static class StatusReport
{
    public const string FilePattern = "gateway-*.json";

    public static string FileFor(string folder, string listen) =>
        Path.Combine(folder, "gateway-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(listen)))[..16] + ".json");

    /// <summary>The status files of gateways still running (a file left by a killed one is skipped).</summary>
    public static IReadOnlyList<JsonDocument> Read(string folder)
    {
        var documents = new List<JsonDocument>();
        foreach (var file in Directory.GetFiles(folder, FilePattern))
        {
            try
            {
                var document = JsonDocument.Parse(File.ReadAllBytes(file));
                if (IsRunning(document.RootElement.GetProperty("pid").GetInt32()))
                {
                    documents.Add(document);
                }
            }
            catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException or InvalidOperationException)
            {
                // Being rewritten or left half-written by a crash: the next status sees it whole.
            }
        }

        return documents;
    }

    public static string Format(JsonElement status, DateTimeOffset now)
    {
        var text = new StringBuilder();
        var requestLimit = status.GetProperty("grantRequestsPerSecond").GetDouble();
        var byteLimit = status.GetProperty("grantBytesPerSecond").GetDouble();
        text.Append(CultureInfo.InvariantCulture, $"gateway {status.GetProperty("listen").GetString()} -> bucket {status.GetProperty("bucket").GetString()} (pid {status.GetProperty("pid").GetInt32()}, since {status.GetProperty("started").GetString()})\n");
        text.Append(CultureInfo.InvariantCulture, $"  limits per grant: {(requestLimit > 0 ? $"{requestLimit} requests/s" : "no request limit")}, {(byteLimit > 0 ? $"{byteLimit / 1048576:0.#} MiB/s" : "no byte limit")}; revoked grants: {status.GetProperty("revokedGrants").GetInt32()}\n");
        var grants = status.GetProperty("grants");
        if (grants.GetArrayLength() == 0)
        {
            text.Append("  no requests yet\n");
        }

        foreach (var grant in grants.EnumerateArray())
        {
            var idle = now.ToUnixTimeSeconds() - grant.GetProperty("lastSeenUnix").GetInt64();
            var waits = byteLimit > 0 && grant.TryGetProperty("bytePauses", out var pauses) ? $" ({pauses.GetInt64()} waits for the byte rate)" : "";
            text.Append(CultureInfo.InvariantCulture,
                $"  grant {grant.GetProperty("id").GetString()} {grant.GetProperty("mode").GetString()} {grant.GetProperty("prefix").GetString()}: " +
                $"{grant.GetProperty("requests").GetInt64()} requests ({grant.GetProperty("refused").GetInt64()} refused, {grant.GetProperty("throttled").GetInt64()} over the rate), " +
                $"{grant.GetProperty("bytesIn").GetInt64()} bytes in, {grant.GetProperty("bytesOut").GetInt64()} out{waits}, last {idle}s ago\n");
        }

        return text.ToString();
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
