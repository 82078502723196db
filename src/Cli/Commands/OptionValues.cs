using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using BucketMount.Backends.Remotes;

namespace BucketMount.Cli.Commands;

/// <summary>
/// Parsers for option values that refuse bad input in the option's own words (its name and what it accepts),
/// where System.CommandLine would name a .NET type ("expected type 'System.Double'").
/// </summary>
internal static class OptionValues
{
    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>, e.g. "--disk-cache-mib '-1' is not a whole number of MiB from 0 to ...".</summary>
    public static Func<ArgumentResult, long> Whole(string option, long min, long max, string unit) => result =>
    {
        var text = Text(result);
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        result.AddError($"{option} '{text}' is not a whole number of {unit} from {min} to {max}.");
        return min;
    };

    /// <summary>Like <see cref="Whole"/>, for options whose value must also be a power of two (block sizes).</summary>
    public static Func<ArgumentResult, int> PowerOfTwo(string option, int min, int max, string unit) => result =>
    {
        var text = Text(result);
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max && (value & (value - 1)) == 0)
        {
            return value;
        }

        result.AddError($"{option} '{text}' is not a power of two from {min} to {max} {unit} (such as {min}, {min * 2}, ... {max}).");
        return min;
    };

    /// <summary>Seconds, zero or more, with a fraction if wanted (0.5).</summary>
    public static Func<ArgumentResult, double> Seconds(string option) => Amount(option, "seconds", "60 or 0.5", TimeSpan.MaxValue.TotalSeconds / 2);

    /// <summary>A number of <paramref name="unit"/>, zero or more, with a fraction if wanted, up to <paramref name="max"/>.</summary>
    public static Func<ArgumentResult, double> Amount(string option, string unit, string examples, double max) => result =>
    {
        var text = Text(result);
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0 && value <= max)
        {
            return value;
        }

        result.AddError($"{option} '{text}' is not a number of {unit}, 0 or more (such as {examples}).");
        return 0;
    };

    /// <summary>A numeric user or group id (what `id -u` prints).</summary>
    public static Func<ArgumentResult, uint?> Id(string option) => result =>
    {
        var text = Text(result);
        if (uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value != uint.MaxValue)
        {
            return value;
        }

        result.AddError($"{option} '{text}' is not a numeric id such as 1000 (`id -u NAME` prints a user's, `getent group NAME` a group's).");
        return null;
    };

    /// <summary>One of an enumeration's names, in any case, or the closest name suggested.</summary>
    public static Func<ArgumentResult, T> Choice<T>(string option)
        where T : struct, Enum => result =>
    {
        var text = Text(result);
        var names = Enum.GetNames<T>();
        if (names.FirstOrDefault(n => n.Equals(text, StringComparison.OrdinalIgnoreCase)) is { } name)
        {
            return Enum.Parse<T>(name);
        }

        result.AddError($"{option} '{text}' is not one of {string.Join(", ", names)}{Suggestions.DidYouMean(text, names)}.");
        return default;
    };

    /// <summary>Same as <see cref="Choice{T}"/> for a nullable enumeration option (no value: the default).</summary>
    public static Func<ArgumentResult, T?> OptionalChoice<T>(string option)
        where T : struct, Enum
    {
        var parse = Choice<T>(option);
        return result => parse(result);
    }

    /// <summary>An option built with one of the parsers above, showing its accepted values in the help.</summary>
    public static Option<T> Create<T>(string name, string description, Func<ArgumentResult, T> parser, Func<T>? defaultValue = null)
    {
        var option = new Option<T>(name) { Description = description, CustomParser = parser };
        if (defaultValue is not null)
        {
            option.DefaultValueFactory = _ => defaultValue();
        }

        return option;
    }

    private static string Text(ArgumentResult result) => string.Join(' ', result.Tokens.Select(t => t.Value));
}
