namespace BucketMount.Backends.Remotes;

/// <summary>
/// Credentials never travel in a remote URI (it ends up in shell history, `ps`, logs and `status`): what counts
/// as one, and how a URI is shown with such parts hidden. Names match case-insensitively, ignoring '-', '_' and
/// '.', by the fragments every store's credentials use (AWS keys and signatures, Azure keys and SAS tokens,
/// API keys, passwords), so x-amz-signature, X-Amz-Credential, AWSAccessKeyId, sas_token, AccountKey and apikey
/// are all caught; none of the options a remote accepts contains one of them, except Azure's sign-in choice
/// <c>auth=key|sas|connection_string|entra</c>, allowed with exactly those words (any other value of it is refused as a secret).
/// </summary>
public static class UriSecrets
{
    private const string Hidden = "…";

    private static readonly string[] CredentialFragments = ["key", "secret", "sig", "credential", "token", "password", "passwd", "pwd", "sas", "auth", "connectionstring"];

    /// <summary>True for a query parameter name that may carry a credential.</summary>
    public static bool IsCredentialName(string name)
    {
        var normalized = new string(name.Where(c => c is not ('-' or '_' or '.' or ' ')).ToArray()).ToLowerInvariant();
        return CredentialFragments.Any(fragment => normalized.Contains(fragment, StringComparison.Ordinal));
    }

    /// <summary>
    /// What secret a URI (or an endpoint URL inside one) carries, in words that do not repeat it: a user name or
    /// password before '@', or a credential-like query parameter, named; null when none.
    /// </summary>
    public static string? FindSecret(string text)
    {
        var (authorityStart, authorityEnd) = Authority(text);
        if (authorityStart >= 0 && text.AsSpan(authorityStart, authorityEnd - authorityStart).Contains('@'))
        {
            return "a user name or password before '@'";
        }

        foreach (var (name, value) in QueryPairs(text))
        {
            if (name.Equals(AzureSignIn.OptionName, StringComparison.OrdinalIgnoreCase) && !AzureSignIn.IsChoice(name, value))
            {
                // Most likely a misspelt choice, yet it could be a pasted token: refused, and its value not repeated.
                return $"'{name}' with a value that is none of {string.Join(", ", AzureSignIn.Choices)} (so it may be a secret)";
            }

            if (IsCredentialName(name) && !AzureSignIn.IsChoice(name, value))
            {
                return $"the secret '{name}'";
            }

            if (value.Contains("://", StringComparison.Ordinal) && FindSecret(value) is { } inner)
            {
                return $"in its {name}, {inner}";
            }
        }

        return null;
    }

    /// <summary>The URI as it may be shown: user name and password, credential-like parameters' values hidden (also inside an endpoint URL).</summary>
    public static string Redact(string text)
    {
        var (authorityStart, authorityEnd) = Authority(text);
        if (authorityStart >= 0)
        {
            var at = text.LastIndexOf('@', authorityEnd - 1, authorityEnd - authorityStart);
            if (at >= 0)
            {
                text = text[..authorityStart] + Hidden + text[at..];
            }
        }

        var question = text.IndexOf('?', StringComparison.Ordinal);
        if (question < 0)
        {
            return text;
        }

        var pairs = text[(question + 1)..].Split('&').Select(pair =>
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Unescape(equals < 0 ? pair : pair[..equals]);
            if (IsCredentialName(name) && !AzureSignIn.IsChoice(name, equals < 0 ? "" : Unescape(pair[(equals + 1)..])))
            {
                return (equals < 0 ? pair : pair[..equals]) + "=" + Hidden;
            }

            var value = equals < 0 ? "" : Unescape(pair[(equals + 1)..]);
            return value.Contains("://", StringComparison.Ordinal) ? pair[..equals] + "=" + Redact(value) : pair;
        });
        return text[..(question + 1)] + string.Join('&', pairs);
    }

    /// <summary>Where the authority (user info, host) lies: after "scheme://", up to the first '/', '?' or '#'.</summary>
    private static (int Start, int End) Authority(string text)
    {
        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0)
        {
            return (-1, -1);
        }

        var start = scheme + 3;
        var end = text.IndexOfAny(['/', '?', '#'], start);
        return (start, end < 0 ? text.Length : end);
    }

    private static IEnumerable<(string Name, string Value)> QueryPairs(string text)
    {
        var question = text.IndexOf('?', StringComparison.Ordinal);
        if (question < 0)
        {
            yield break;
        }

        foreach (var pair in text[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            yield return (Unescape(equals < 0 ? pair : pair[..equals]), equals < 0 ? "" : Unescape(pair[(equals + 1)..]));
        }
    }

    private static string Unescape(string text)
    {
        try
        {
            return Uri.UnescapeDataString(text);
        }
        catch (UriFormatException)
        {
            return text;
        }
    }
}
