namespace BucketMount.Dokan.Ntfs;

/// <summary>
/// FsRtlIsNameInExpression in managed code: <c>*</c> and <c>?</c>, and the DOS wildcards cmd.exe sends
/// (<c>*.txt</c> arrives as <c>&lt;.txt</c>): <c>&lt;</c> matches up to the name's last dot, <c>&gt;</c> one
/// character or nothing at a dot or the end, <c>"</c> a dot or nothing at the end. Not a glob: no brackets.
/// </summary>
public static class WindowsWildcard
{
    public static bool IsMatch(string expression, string name, bool ignoreCase)
    {
        if (expression is "*" or "<" || expression.Length == 0 && name.Length == 0)
        {
            return true;
        }

        // Memoized over (expression position, name position); names are at most 255 characters.
        var memo = new sbyte[(expression.Length + 1) * (name.Length + 1)];
        return Match(expression, name, 0, 0, ignoreCase, name.LastIndexOf('.'), memo);
    }

    private static bool Match(string expression, string name, int e, int n, bool ignoreCase, int lastDot, sbyte[] memo)
    {
        var slot = (e * (name.Length + 1)) + n;
        if (memo[slot] != 0)
        {
            return memo[slot] > 0;
        }

        var result = MatchUncached(expression, name, e, n, ignoreCase, lastDot, memo);
        memo[slot] = result ? (sbyte)1 : (sbyte)-1;
        return result;
    }

    private static bool MatchUncached(string expression, string name, int e, int n, bool ignoreCase, int lastDot, sbyte[] memo)
    {
        if (e == expression.Length)
        {
            return n == name.Length;
        }

        var atEnd = n == name.Length;
        switch (expression[e])
        {
            case '*':
                return Match(expression, name, e + 1, n, ignoreCase, lastDot, memo)
                    || (!atEnd && Match(expression, name, e, n + 1, ignoreCase, lastDot, memo));
            case '?':
                return !atEnd && Match(expression, name, e + 1, n + 1, ignoreCase, lastDot, memo);
            case '<':
                // Any run of characters that does not swallow the name's final dot.
                var limit = lastDot >= n ? lastDot : name.Length;
                for (var k = n; k <= limit; k++)
                {
                    if (Match(expression, name, e + 1, k, ignoreCase, lastDot, memo))
                    {
                        return true;
                    }
                }

                return false;
            case '>':
                return !atEnd && name[n] != '.'
                    ? Match(expression, name, e + 1, n + 1, ignoreCase, lastDot, memo)
                    : Match(expression, name, e + 1, n, ignoreCase, lastDot, memo);
            case '"':
                return atEnd ? Match(expression, name, e + 1, n, ignoreCase, lastDot, memo)
                    : name[n] == '.' && Match(expression, name, e + 1, n + 1, ignoreCase, lastDot, memo);
            default:
                return !atEnd && Same(expression[e], name[n], ignoreCase) && Match(expression, name, e + 1, n + 1, ignoreCase, lastDot, memo);
        }
    }

    private static bool Same(char a, char b, bool ignoreCase) =>
        a == b || (ignoreCase && char.ToUpperInvariant(a) == char.ToUpperInvariant(b));
}
