using System.Text;

namespace BucketMount.Gateway.Grants;

/// <summary>
/// The gateway's own secret, from which every grant's access key id is authenticated and its secret derived. From
/// BUCKETMOUNT_GATEWAY_SECRET or a file only its owner can read (like an SSH key: a wider file is refused).
/// </summary>
internal static class GatewaySecret
{
    public const string EnvironmentVariable = "BUCKETMOUNT_GATEWAY_SECRET";
    public const int MinimumLength = 32;

    /// <summary>Reads the secret; throws ArgumentException saying what to fix.</summary>
    public static byte[] Load(string? secretFile)
    {
        string text;
        if (secretFile is not null)
        {
            if (!File.Exists(secretFile))
            {
                throw new ArgumentException($"--secret-file {secretFile} does not exist; create one with: head -c 48 /dev/urandom | base64 > {secretFile}; chmod 600 {secretFile}");
            }

            if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(secretFile) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
            {
                throw new ArgumentException($"--secret-file {secretFile} can be read by other users: chmod 600 it (the gateway's secret signs every grant).");
            }

            text = File.ReadAllText(secretFile).Trim();
        }
        else
        {
            text = Environment.GetEnvironmentVariable(EnvironmentVariable)?.Trim()
                ?? throw new ArgumentException($"the gateway needs its own secret: set {EnvironmentVariable} or give --secret-file (at least {MinimumLength} characters, e.g. head -c 48 /dev/urandom | base64).");
        }

        if (text.Length < MinimumLength)
        {
            throw new ArgumentException($"the gateway's secret is shorter than {MinimumLength} characters: use e.g. head -c 48 /dev/urandom | base64.");
        }

        return Encoding.UTF8.GetBytes(text);
    }
}
