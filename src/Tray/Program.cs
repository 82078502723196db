using BucketMount.Cli.Service;
using BucketMount.Tray;
using BucketMount.Tray.Win32;

// bucketmount-tray.exe: started with no arguments at logon (the installer's Run entry), one per user session. It
// finds the service's pipe by its fixed name, and this user's own `bucketmount mount` pipes beside it.
if (!OperatingSystem.IsWindows())
{
    Console.Error.WriteLine("bucketmount-tray is the Windows notification-area app; elsewhere, `bucketmount status` shows the same.");
    return 2;
}

// A second start in the same session (the Run entry and a user's double-click) leaves the first one alone.
using var single = new Mutex(initiallyOwned: true, @"Local\bucketmount-tray", out var first);
if (!first)
{
    return 0;
}

using var window = new TrayWindow(TrayChannel.Default, ServicePaths.LogFolder, TrayPoller.DefaultInterval);
return window.Run();
