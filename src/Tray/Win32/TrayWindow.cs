using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using BucketMount.Tray.Model;

namespace BucketMount.Tray.Win32;

/// <summary>
/// The thin Win32 layer: a hidden window whose message loop owns the notification icon and its menu. Polls and
/// commands run on the thread pool and post their results here (WM_APP messages), so the pipe never blocks the loop.
/// What the icon, tooltip, balloons and menu say is decided in <see cref="Model"/>.
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed class TrayWindow : IDisposable
{
    private const string ClassName = "BucketMountTray";
    private const uint WM_TRAY = Native.WM_APP + 1;      // the icon's mouse messages
    private const uint WM_SNAPSHOT = Native.WM_APP + 2;  // a poll's result is waiting in _incoming
    private const uint WM_NOTICE = Native.WM_APP + 3;    // a command's outcome is waiting in _notices

    // The window procedure is a static function pointer; it reaches the one window of this process through here.
    private static TrayWindow? s_current;

    private readonly TrayChannel _channel;
    private readonly string _logFolder;
    private readonly TrayPoller _poller;
    private readonly IconHandles _icons = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<Balloon> _notices = new();
    private readonly uint _taskbarCreated = Native.RegisterWindowMessageW("TaskbarCreated");
    private TraySnapshot? _incoming;
    private TraySnapshot _shown = TraySnapshot.Connecting;
    private TraySnapshot? _before;
    private nint _hwnd;
    private bool _iconAdded;

    public TrayWindow(TrayChannel channel, string logFolder, TimeSpan pollInterval)
    {
        _channel = channel;
        _logFolder = logFolder;
        _poller = new TrayPoller(channel.PollAsync, Publish, pollInterval);
    }

    /// <summary>Shows the icon and runs the message loop until Quit; returns the exit code.</summary>
    public unsafe int Run()
    {
        s_current = this;
        var instance = Native.GetModuleHandleW(null);
        fixed (char* className = ClassName)
        {
            var windowClass = new Native.WndClassEx
            {
                cbSize = (uint)sizeof(Native.WndClassEx),
                lpfnWndProc = &WindowProcedure,
                hInstance = instance,
                lpszClassName = className,
            };
            if (Native.RegisterClassExW(&windowClass) == 0)
            {
                return Failed();
            }
        }

        // A hidden top-level window (not message-only): the menu needs a window that can take the foreground.
        _hwnd = Native.CreateWindowExW(0, ClassName, "bucketmount tray", 0, 0, 0, 0, 0, 0, 0, instance, 0);
        if (_hwnd == 0)
        {
            // No window station or display (a service account, a broken session): there is nothing to show.
            return Failed();
        }

        // An upgrade or uninstall replaces files this process holds: Windows' Restart Manager closes it (WM_ENDSESSION
        // with ENDSESSION_CLOSEAPP, below) and, registered here, starts it again afterwards.
        Native.RegisterApplicationRestart(null, Native.RESTART_NO_CRASH | Native.RESTART_NO_HANG | Native.RESTART_NO_REBOOT);
        Show(TrayView.Of(_shown), null);
        var polling = Task.Run(() => _poller.RunAsync(_stop.Token));
        Native.Msg message;
        while (Native.GetMessageW(&message, 0, 0, 0) > 0)
        {
            Native.TranslateMessage(&message);
            Native.DispatchMessageW(&message);
        }

        _stop.Cancel();
        polling.Wait(TimeSpan.FromSeconds(2));
        return 0;
    }

    /// <summary>The Windows error as the exit code, never 0: a tray that could not show itself did not succeed.</summary>
    private static int Failed() => Marshal.GetLastPInvokeError() is var error and not 0 ? error : 1;

    [UnmanagedCallersOnly]
    private static nint WindowProcedure(nint hwnd, uint message, nint wParam, nint lParam) =>
        s_current is { } window ? window.Handle(hwnd, message, wParam, lParam) : Native.DefWindowProcW(hwnd, message, wParam, lParam);

    private nint Handle(nint hwnd, uint message, nint wParam, nint lParam)
    {
        switch (message)
        {
            case WM_TRAY when (uint)(lParam & 0xFFFF) is Native.WM_RBUTTONUP or Native.WM_LBUTTONUP or Native.WM_CONTEXTMENU:
                ShowMenu();
                return 0;
            case WM_SNAPSHOT:
                if (Interlocked.Exchange(ref _incoming, null) is { } snapshot)
                {
                    var balloon = BalloonRules.Next(_before, snapshot);
                    _before = snapshot;
                    _shown = snapshot;
                    Show(TrayView.Of(snapshot), balloon);
                }

                return 0;
            case WM_NOTICE:
                while (_notices.TryDequeue(out var notice))
                {
                    Show(TrayView.Of(_shown), notice);
                }

                return 0;
            case Native.WM_QUERYENDSESSION:
                // Nothing to save here (uploads are the service's): logoff, shutdown or an installer may close the tray.
                return 1;
            case Native.WM_ENDSESSION when wParam != 0:
                // The session ends, or the Restart Manager closes the tray for an upgrade: quit, so its files can go.
                Native.DestroyWindow(hwnd);
                return 0;
            case Native.WM_DESTROY:
                RemoveIcon();
                Native.PostQuitMessage(0);
                return 0;
            default:
                if (message == _taskbarCreated && _taskbarCreated != 0)
                {
                    // Explorer restarted: its notification area forgot every icon.
                    _iconAdded = false;
                    Show(TrayView.Of(_shown), null);
                    return 0;
                }

                return Native.DefWindowProcW(hwnd, message, wParam, lParam);
        }
    }

    /// <summary>From the poller's thread: keep the newest snapshot and wake the loop.</summary>
    private void Publish(TraySnapshot snapshot)
    {
        Volatile.Write(ref _incoming, snapshot);
        Native.PostMessageW(_hwnd, WM_SNAPSHOT, 0, 0);
    }

    private unsafe void Show(TrayView view, Balloon? balloon)
    {
        var data = new Native.NotifyIconData
        {
            cbSize = (uint)sizeof(Native.NotifyIconData),
            hWnd = _hwnd,
            uID = 1,
            uFlags = Native.NIF_MESSAGE | Native.NIF_ICON | Native.NIF_TIP,
            uCallbackMessage = WM_TRAY,
            hIcon = _icons.For(view.Icon, view.Count),
        };
        Native.CopyTo(view.Tooltip, data.szTip, 128);
        if (balloon is not null)
        {
            data.uFlags |= Native.NIF_INFO;
            data.dwInfoFlags = balloon.IsError ? Native.NIIF_ERROR : Native.NIIF_INFO;
            Native.CopyTo(balloon.FittedTitle, data.szInfoTitle, 64);
            Native.CopyTo(balloon.FittedText, data.szInfo, 256);
        }

        // Modify while the shell has the icon; add it otherwise (first time, or the shell was not up yet at logon
        // and refused: then every later poll tries again).
        if (!_iconAdded || !Native.Shell_NotifyIconW(Native.NIM_MODIFY, &data))
        {
            _iconAdded = Native.Shell_NotifyIconW(Native.NIM_ADD, &data);
        }
    }

    private unsafe void RemoveIcon()
    {
        var data = new Native.NotifyIconData { cbSize = (uint)sizeof(Native.NotifyIconData), hWnd = _hwnd, uID = 1 };
        Native.Shell_NotifyIconW(Native.NIM_DELETE, &data);
        _iconAdded = false;
    }

    private void ShowMenu()
    {
        var items = TrayMenu.For(_shown, _logFolder);
        var menu = Native.CreatePopupMenu();
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            if (item.IsSeparator)
            {
                Native.AppendMenuW(menu, Native.MF_SEPARATOR, 0, null);
            }
            else
            {
                // A lone & would underline the next letter (a name like "R&D").
                Native.AppendMenuW(menu, Native.MF_STRING | (item.Enabled ? 0 : Native.MF_GRAYED), (nuint)(i + 1), item.Text.Replace("&", "&&", StringComparison.Ordinal));
            }
        }

        // The foreground window and the WM_NULL after are what make the menu close when the user clicks elsewhere.
        Native.GetCursorPos(out var cursor);
        Native.SetForegroundWindow(_hwnd);
        var chosen = Native.TrackPopupMenuEx(menu, Native.TPM_RETURNCMD | Native.TPM_RIGHTBUTTON | Native.TPM_NONOTIFY, cursor.X, cursor.Y, _hwnd, 0);
        Native.PostMessageW(_hwnd, Native.WM_NULL, 0, 0);
        Native.DestroyMenu(menu);
        if (chosen > 0 && chosen <= items.Count && items[chosen - 1].Command is { } command)
        {
            Execute(command);
        }
    }

    private void Execute(TrayCommand command)
    {
        switch (command)
        {
            case TrayCommand.Quit:
                Native.DestroyWindow(_hwnd);
                break;
            case TrayCommand.OpenDrive open:
                Open(open.MountPoint);
                break;
            case TrayCommand.OpenLogFolder logs:
                Open(logs.Folder);
                break;
            default:
                // Off the loop: an unmount waits for its uploads.
                _ = Task.Run(() => RunCommandAsync(command));
                break;
        }
    }

    private async Task RunCommandAsync(TrayCommand command)
    {
        Balloon? notice;
        try
        {
            var reply = await _channel.RunAsync(command, _stop.Token);
            notice = !reply.Ok ? new Balloon("bucketmount: that did not work", reply.Message ?? "no answer", IsError: true)
                : command is TrayCommand.Unmount or TrayCommand.Mount ? new Balloon("bucketmount", reply.Message ?? "done", IsError: false)
                : null;
        }
        catch (OperationCanceledException)
        {
            return;
        }

        if (notice is not null)
        {
            _notices.Enqueue(notice);
            Native.PostMessageW(_hwnd, WM_NOTICE, 0, 0);
        }

        _poller.PollNow();
    }

    private void Open(string path)
    {
        // ShellExecute's documented failure values are 32 and below.
        if (Native.ShellExecuteW(_hwnd, "open", path, null, null, Native.SW_SHOWNORMAL) <= 32)
        {
            Show(TrayView.Of(_shown), new Balloon("bucketmount", $"Could not open {path}.", IsError: true));
        }
    }

    public void Dispose()
    {
        _icons.Dispose();
        _stop.Dispose();
        s_current = null;
    }
}
