namespace BucketMount.Backends.Remotes;

/// <summary>
/// The query options each kind of remote accepts, declared once. Anything else is refused by name with the closest
/// known one: a misspelt <c>?endpont=</c> ignored would send requests (and credentials) to AWS instead of the
/// intended server.
/// </summary>
public static class RemoteOptions
{
    private static readonly string[] S3Compatible =
        ["endpoint", "region", "path_style", "profile", "list_version", "conditional_writes", "conditional_reads", "batch_delete"];

    /// <summary>The options a remote of this kind accepts (names lower-case, '-' written as '_').</summary>
    public static IReadOnlyList<string> For(RemoteKind kind) => kind switch
    {
        RemoteKind.S3 or RemoteKind.R2 or RemoteKind.Gcs => S3Compatible,
        RemoteKind.Azure => ["endpoint", "auth"],
        _ => [],
    };

    /// <summary>Throws InvalidArgument naming the first option this kind does not accept, and what it may have meant.</summary>
    public static void Check(RemoteKind kind, IReadOnlyDictionary<string, string> parameters, Func<string, ObjectStoreException> invalid)
    {
        var known = For(kind);
        foreach (var name in parameters.Keys)
        {
            if (!known.Contains(name))
            {
                var accepted = known.Count == 0 ? "this kind of remote takes no options" : "it accepts " + string.Join(", ", known);
                throw invalid($"it has the unknown option '{name}'{Suggestions.DidYouMean(name, known)}; {accepted}");
            }
        }
    }
}
