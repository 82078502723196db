using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace BucketMount.Cli.Commands;

/// <summary>
/// The top-level help, with each command's synopsis as it is really typed ("mount [REMOTE] MOUNTPOINT",
/// "status [MOUNTPOINT]"): System.CommandLine's own list drops the brackets of optional arguments. Parse errors show
/// the error and where to read more, not the whole help.
/// </summary>
internal static class RootHelp
{
    /// <summary>Commands whose first argument is an optional remote that the parser cannot express on its own.</summary>
    private static readonly Dictionary<string, string> Shapes = new(StringComparer.Ordinal)
    {
        ["mount"] = "[REMOTE] MOUNTPOINT",
        ["cat"] = "[REMOTE] KEY",
        ["put"] = "[REMOTE] KEY FILE",
        ["rm"] = "[REMOTE] KEY...",
    };

    public static void Install(RootCommand root)
    {
        foreach (var help in root.Options.OfType<HelpOption>())
        {
            if (help.Action is HelpAction inner)
            {
                help.Action = new Action(root, inner);
            }
        }
    }

    /// <summary>Parses, with a parse error reported in a few lines rather than followed by the command's full help.</summary>
    public static ParseResult Parse(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        if (parse.Action is ParseErrorAction error && parse.CommandResult.Command is not RootCommand)
        {
            error.ShowHelp = false;
        }

        return parse;
    }

    /// <summary>"mount [REMOTE] MOUNTPOINT", "status [MOUNTPOINT]", "rm KEYS...": each argument as the parser accepts it.</summary>
    public static string Synopsis(Command command)
    {
        if (Shapes.TryGetValue(command.Name, out var shape))
        {
            return command.Name + " " + shape;
        }

        var words = command.Arguments.Where(a => !a.Hidden).Select(a =>
        {
            var name = a.Name.ToUpperInvariant() + (a.Arity.MaximumNumberOfValues > 1 ? "..." : "");
            return a.Arity.MinimumNumberOfValues == 0 ? $"[{name}]" : name;
        });
        var subcommands = command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name).ToList();
        var all = subcommands.Count > 0 ? words.Prepend(string.Join('|', subcommands)) : words;
        return string.Join(' ', all.Prepend(command.Name));
    }

    private sealed class Action(RootCommand root, HelpAction inner) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            if (parseResult.CommandResult.Command != root)
            {
                return inner.Invoke(parseResult);
            }

            var output = parseResult.InvocationConfiguration.Output;
            output.WriteLine(root.Description);
            output.WriteLine();
            output.WriteLine("Usage: bucketmount COMMAND [ARGUMENTS] [OPTIONS]   (bucketmount COMMAND --help for a command's options)");
            output.WriteLine();
            var rows = root.Subcommands.Where(c => !c.Hidden).Select(c => (Synopsis(c), c.Description ?? "")).ToList();
            var width = rows.Max(r => r.Item1.Length) + 2;
            foreach (var (synopsis, description) in rows)
            {
                output.WriteLine($"  {synopsis.PadRight(width)}{description}");
            }

            output.WriteLine();
            output.WriteLine("  --version, version   the version of this build");
            return 0;
        }
    }
}
