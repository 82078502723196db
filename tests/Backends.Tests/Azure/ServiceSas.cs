using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace BucketMount.Backends.Tests.Azure;

/// <summary>Makes a service SAS for one container (sr=c), signed with the account key as a container's "Generate SAS" would.</summary>
internal static class ServiceSas
{
    public static string Create(string account, string base64Key, string container, string permissions, TimeSpan lifetime)
    {
        const string version = "2021-12-02";
        var expiry = DateTimeOffset.UtcNow.Add(lifetime).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var stringToSign = string.Join('\n',
            permissions, "", expiry, $"/blob/{account}/{container}", "", "", "https,http", version, "c", "", "", "", "", "", "", "");
        var signature = Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(base64Key), Encoding.UTF8.GetBytes(stringToSign)));
        return $"sv={version}&sr=c&sp={permissions}&se={Uri.EscapeDataString(expiry)}&spr=https,http&sig={Uri.EscapeDataString(signature)}";
    }
}
