namespace BucketMount.Dokan;

/// <summary>How the bucket shows up on Windows.</summary>
public sealed record DokanMountOptions
{
    /// <summary>Explorer's label for the drive (at most 32 characters).</summary>
    public string VolumeLabel { get; init; } = "bucketmount";

    /// <summary>A network drive with this UNC name (<c>\\server\share</c>); needs Dokan's network provider. Null: a local disk.</summary>
    public string? NetworkUncName { get; init; }

    /// <summary>Visible only in the session that mounted it (else every session sees the drive).</summary>
    public bool CurrentSessionOnly { get; init; }

    /// <summary>Write-protected volume; the engine refuses changes too.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>Show as a removable drive.</summary>
    public bool Removable { get; init; }

    /// <summary>Names compared with case (default: case-insensitive, case-preserving, as Windows programs expect).</summary>
    public bool CaseSensitive { get; init; }

    /// <summary>Dokan's per-request timeout; long calls reset it while they run.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>dokan2's own debug output to standard error (DOKAN_OPTION_DEBUG | DOKAN_OPTION_STDERR).</summary>
    public bool DokanDebugOutput { get; init; }

    /// <summary>What only the mount point decides: dokan2 silently drops the network option for a folder mount point.</summary>
    internal void ValidateFor(string mountPoint)
    {
        Validate();
        if (NetworkUncName is not null && !DokanMountTarget.IsDriveLetter(mountPoint, out _))
        {
            throw new ArgumentException($@"--network-drive needs a drive letter (X: or *): Dokan mounts a folder such as '{mountPoint}' as a local folder only.");
        }
    }

    internal void Validate()
    {
        if (VolumeLabel.Length is 0 or > 32)
        {
            throw new ArgumentException($"the volume label '{VolumeLabel}' must be 1 to 32 characters.");
        }

        if (NetworkUncName is { } unc && (!unc.StartsWith(@"\\", StringComparison.Ordinal) || unc.Length < 5 || unc.IndexOf('\\', 2) < 3))
        {
            throw new ArgumentException($@"the network name '{unc}' must look like \\server\share.");
        }
    }
}
