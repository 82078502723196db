using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace BucketMount.Backends.Tests.Azure;

/// <summary>Makes an account SAS (blob service, all resource types) signed with the account key, as the portal would.</summary>
internal static class AccountSas
{
    public static string Create(string account, string base64Key, string permissions, TimeSpan lifetime)
    {
        const string version = "2021-12-02";
        var expiry = DateTimeOffset.UtcNow.Add(lifetime).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var stringToSign = string.Join('\n', account, permissions, "b", "sco", "", expiry, "", "https,http", version, "", "");
        var signature = Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(base64Key), Encoding.UTF8.GetBytes(stringToSign)));
        return $"sv={version}&ss=b&srt=sco&sp={permissions}&se={Uri.EscapeDataString(expiry)}&spr=https,http&sig={Uri.EscapeDataString(signature)}";
    }
}
