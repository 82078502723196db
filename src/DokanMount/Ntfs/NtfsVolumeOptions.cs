namespace BucketMount.Dokan.Ntfs;

/// <summary>What the volume says about itself: Explorer's label and the serial number `vol` prints.</summary>
internal sealed record NtfsVolumeOptions(string Label, uint SerialNumber);
