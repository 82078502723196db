using System.Globalization;

namespace BucketMount.Gateway.Grants;

/// <summary>--ttl: 90s, 30m, 24h, 7d (a bare number is seconds); at most 400 days.</summary>
internal static class GrantTtl
{
    public static TimeSpan Parse(string text)
    {
        var trimmed = text.Trim();
        var unit = trimmed.Length > 0 && char.IsAsciiLetter(trimmed[^1]) ? char.ToLowerInvariant(trimmed[^1]) : 's';
        var number = char.IsAsciiLetter(trimmed.LastOrDefault()) ? trimmed[..^1] : trimmed;
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value <= 0 || unit is not ('s' or 'm' or 'h' or 'd'))
        {
            throw new ArgumentException($"--ttl {text} is not a duration such as 90s, 30m, 24h or 7d.");
        }

        var ttl = unit switch { 's' => TimeSpan.FromSeconds(value), 'm' => TimeSpan.FromMinutes(value), 'h' => TimeSpan.FromHours(value), _ => TimeSpan.FromDays(value) };
        return ttl <= TimeSpan.FromDays(400) ? ttl : throw new ArgumentException($"--ttl {text} is longer than 400 days; mint a new grant instead.");
    }
}
