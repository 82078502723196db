namespace BucketMount.Backends.Internal;

/// <summary>
/// The order object stores list keys in: by UTF-8 bytes, which equals order by Unicode code point.
/// Plain ordinal string comparison differs for characters above U+FFFF (surrogate pairs sort before U+E000),
/// so stores that sort themselves use this comparer to match S3 and Azure exactly.
/// </summary>
public sealed class KeyOrder : IComparer<string>
{
    public static readonly KeyOrder Instance = new();

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null)
        {
            return -1;
        }

        if (y is null)
        {
            return 1;
        }

        var length = Math.Min(x.Length, y.Length);
        for (var i = 0; i < length; i++)
        {
            var a = x[i];
            var b = y[i];
            if (a == b)
            {
                continue;
            }

            // A surrogate (U+D800..U+DFFF) encodes a code point above U+FFFF, so it sorts after U+E000..U+FFFF.
            if (char.IsSurrogate(a) != char.IsSurrogate(b) && (a >= 0xE000 || b >= 0xE000))
            {
                return char.IsSurrogate(a) ? 1 : -1;
            }

            return a < b ? -1 : 1;
        }

        return x.Length.CompareTo(y.Length);
    }
}
