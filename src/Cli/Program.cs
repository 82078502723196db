using System.CommandLine;
using BucketMount.Cli.Commands;
using BucketMount.Cli.Mounting;

namespace BucketMount.Cli;

/// <summary>The composition root: parses the command line and runs one command.</summary>
public static class Program
{
    public static Task<int> Main(string[] args)
    {
        // Cache, journal, staging files, logs: what this program writes holds the bucket's data and names.
        PrivateFiles.RestrictUmask();
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
            GatewayCommand.Create(),
        };
        return root.Parse(args).InvokeAsync();
    }
}
