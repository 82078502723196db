using System.CommandLine;
using BucketMount.Cli.Commands;
using BucketMount.Cli.Mounting;

namespace BucketMount.Cli;

/// <summary>The composition root: parses the command line and runs one command.</summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        // Cache, journal, staging files, logs: what this program writes holds the bucket's data and names.
        PrivateFiles.RestrictUmask();
        // Installed as mount.fuse.bucketmount (or mount.bucketmount), this program is mount(8)'s helper.
        if (Path.GetFileName(Environment.GetCommandLineArgs()[0]).StartsWith("mount.", StringComparison.Ordinal))
        {
            args = [MountHelperCommand.Name, .. args];
        }

        var root = new RootCommand("bucketmount: an object-storage bucket (S3, R2, Azure Blob, a local folder) as a local filesystem.")
        {
            MountCommand.Create(),
            ControlCommands.Unmount(),
            ControlCommands.Status(),
            DemoCommand.Create(),
            ObjectCommands.List(),
            ObjectCommands.Cat(),
            ObjectCommands.Put(),
            ObjectCommands.Remove(),
            CleanupCommand.Create(),
            BucketCommands.MakeBucket(),
            BucketCommands.Size(),
            ConfigCommand.Create(),
            VersionCommand.Create(),
            MountHelperCommand.Create(new MountSettings().All),
            MountsCommand.Create(),
            ServiceCommand.Create(),
            GatewayCommand.Create(),
        };
        RootHelp.Install(root);
        var parse = RootHelp.Parse(root, args);
        var code = await parse.InvokeAsync();

        // A command line that does not parse is a usage error: 2, as for every other refusal of what was typed.
        return parse.Errors.Count > 0 ? 2 : code;
    }
}
