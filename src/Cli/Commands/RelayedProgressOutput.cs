namespace BucketMount.Cli.Commands;

/// <summary>
/// The `unmount` command's copy of the mount's progress line. On a terminal it is rewritten in place; into a file,
/// a pipe or a container's log it is a whole line, and only when its text changed and at most once per
/// <see cref="LogInterval"/>: the mount relays the line several times a second, and a log that got every copy filled
/// with identical lines while the store was away.
/// </summary>
internal sealed class RelayedProgressOutput(TextWriter output, bool terminal, Func<TimeSpan> elapsed)
{
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(5);

    private string? _lastWritten;
    private string? _notWritten;
    private TimeSpan _lastWrittenAt;

    public void Report(string line)
    {
        if (terminal)
        {
            output.Write($"\r  {line}   ");
            _lastWritten = line;
            return;
        }

        if (line == _lastWritten)
        {
            _notWritten = null;
            return;
        }

        if (_lastWritten is not null && elapsed() - _lastWrittenAt < LogInterval)
        {
            _notWritten = line;
            return;
        }

        Write(line);
    }

    /// <summary>Ends the line on a terminal; elsewhere writes the last state if it was held back.</summary>
    public void Finish()
    {
        if (terminal)
        {
            if (_lastWritten is not null)
            {
                output.WriteLine();
            }
        }
        else if (_notWritten is { } last)
        {
            Write(last);
        }
    }

    private void Write(string line)
    {
        output.WriteLine($"  {line}");
        (_lastWritten, _lastWrittenAt, _notWritten) = (line, elapsed(), null);
    }
}
