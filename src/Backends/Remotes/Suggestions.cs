namespace BucketMount.Backends.Remotes;

/// <summary>"Did you mean": the known name closest to a misspelt one, so a typo is refused with its fix.</summary>
public static class Suggestions
{
    /// <summary>
    /// The known name within a few edits of <paramref name="typed"/> (case-insensitive), or null when none is close:
    /// a far-off guess would mislead more than it helps.
    /// </summary>
    public static string? Closest(string typed, IEnumerable<string> known)
    {
        var lower = typed.ToLowerInvariant();
        var limit = Math.Max(1, Math.Min(3, lower.Length / 3));
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var name in known)
        {
            var distance = EditDistance(lower, name.ToLowerInvariant());
            if (distance <= limit && distance < bestDistance)
            {
                (best, bestDistance) = (name, distance);
            }
        }

        return best;
    }

    /// <summary>" (did you mean 'x'?)" or an empty string, to append to a refusal.</summary>
    public static string DidYouMean(string typed, IEnumerable<string> known) =>
        Closest(typed, known) is { } close ? $" (did you mean '{close}'?)" : "";

    /// <summary>Levenshtein distance with adjacent transpositions counted as one edit ("endpiont").</summary>
    private static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
