namespace BucketMount.Backends.Azure;

/// <summary>Azure's account and container naming rules, checked before any request.</summary>
public static class AzureContainerNames
{
    public static void Validate(string account, string container)
    {
        if (account.Length is < 3 or > 24 || !account.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c)))
        {
            throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument,
                $"'{account}' is not a valid storage account name: 3 to 24 lower-case letters and digits.", $"az://{account}/{container}");
        }

        var problem = container.Length is < 3 or > 63 ? $"it has {container.Length} characters"
            : container.Any(c => !(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')) ? "it holds a character other than a-z, 0-9 and '-'"
            : !char.IsAsciiLetterOrDigit(container[0]) || !char.IsAsciiLetterOrDigit(container[^1]) ? "it must start and end with a letter or digit"
            : container.Contains("--", StringComparison.Ordinal) ? "it holds two hyphens in a row"
            : null;
        if (problem is not null)
        {
            throw new ObjectStoreException(ObjectStoreErrorKind.InvalidArgument,
                $"'{container}' is not a valid container name: {problem}. Container names are 3 to 63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit.",
                $"az://{account}/{container}");
        }
    }
}
