using System.CommandLine;
using System.Reflection;

namespace BucketMount.Cli.Commands;

/// <summary>`bucketmount version`: the build's version (as `--version` prints), for users who type it as a command.</summary>
internal static class VersionCommand
{
    /// <summary>The informational version stamped at build time: the package version and the commit.</summary>
    public static string Text =>
        typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(VersionCommand).Assembly.GetName().Version?.ToString() ?? "unknown";

    public static Command Create()
    {
        var command = new Command("version", "Print the version of this build.");
        command.SetAction(_ =>
        {
            Console.WriteLine($"bucketmount {Text}");
            return 0;
        });
        return command;
    }
}
