namespace BucketMount.Dokan.Ntfs;

/// <summary>ZwCreateFile's CreateDisposition values (raw NT, not CreateFileW's).</summary>
public enum CreateDisposition : uint
{
    Supersede = 0,
    Open = 1,
    Create = 2,
    OpenIf = 3,
    Overwrite = 4,
    OverwriteIf = 5,
}

/// <summary>The NT values ZwCreateFile and friends pass, named once.</summary>
public static class NtfsConstants
{
    // CreateOptions
    public const uint DirectoryFile = 0x1;
    public const uint NonDirectoryFile = 0x40;
    public const uint DeleteOnClose = 0x1000;

    // Access rights (already expanded from GENERIC_* by the time they reach us)
    public const uint ReadData = 0x1;
    public const uint WriteData = 0x2;
    public const uint AppendData = 0x4;
    public const uint Execute = 0x20;
    public const uint ReadAttributes = 0x80;
    public const uint WriteAttributes = 0x100;
    public const uint Delete = 0x10000;
    public const uint Synchronize = 0x100000;
    public const uint GenericRead = 0x80000000;
    public const uint GenericWrite = 0x40000000;
    public const uint GenericAll = 0x10000000;
    public const uint MaximumAllowed = 0x2000000;

    // Share access
    public const uint ShareRead = 1;
    public const uint ShareWrite = 2;
    public const uint ShareDelete = 4;

    // File attributes
    public const uint AttributeReadOnly = 0x1;
    public const uint AttributeHidden = 0x2;
    public const uint AttributeSystem = 0x4;
    public const uint AttributeDirectory = 0x10;
    public const uint AttributeArchive = 0x20;
    public const uint AttributeNormal = 0x80;

    /// <summary>The attribute bits a file keeps in its metadata (the rest are derived: directory, normal).</summary>
    public const uint KeptAttributes = 0x1 | 0x2 | 0x4 | 0x20 | 0x100 | 0x2000;

    // File system flags for GetVolumeInformation
    public const uint CaseSensitiveSearch = 0x1;
    public const uint CasePreservedNames = 0x2;
    public const uint UnicodeOnDisk = 0x4;
    public const uint SupportsRemoteStorage = 0x100;
    public const uint ReadOnlyVolume = 0x80000;

    /// <summary>What a handle may do to the data, for sharing checks: read, write (write or append), delete.</summary>
    public static bool WantsRead(uint access) => (access & (ReadData | Execute | GenericRead | GenericAll | MaximumAllowed)) != 0;

    public static bool WantsWrite(uint access) => (access & (WriteData | AppendData | GenericWrite | GenericAll | MaximumAllowed)) != 0;

    public static bool WantsDelete(uint access) => (access & (Delete | GenericAll | MaximumAllowed)) != 0;
}
