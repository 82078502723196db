using BucketMount.Engine.Hosting;

namespace BucketMount.Dokan;

/// <summary>
/// Where a Dokan mount goes: a drive letter (<c>X:</c>, <c>X</c>, <c>X:\</c>, or <c>*</c> for the first free
/// letter counting down from Z:, as WinFsp does, so drives Windows adds later keep their usual letters), or an
/// existing empty NTFS folder (which is also how a Windows container gets it as a volume).
/// </summary>
public static class DokanMountTarget
{
    /// <summary>The mount point as dokan2 wants it: <c>X:\</c> or a full folder path.</summary>
    public static string Parse(string text, Func<char, bool>? letterInUse = null)
    {
        letterInUse ??= LetterInUse;
        var trimmed = text.Trim();
        if (trimmed is "*" or "auto")
        {
            for (var letter = 'Z'; letter >= 'D'; letter--)
            {
                if (!letterInUse(letter))
                {
                    return letter + @":\";
                }
            }

            throw new ArgumentException("no drive letter from D: to Z: is free: unmount a drive or mount onto an empty folder instead.");
        }

        if (IsDriveLetter(trimmed, out var drive))
        {
            if (letterInUse(drive))
            {
                throw new ArgumentException($"the drive letter {drive}: is already in use: choose another letter, or * for the first free one.");
            }

            return drive + @":\";
        }

        if (!Path.IsPathFullyQualified(trimmed))
        {
            throw new ArgumentException($@"'{text}' is neither a drive letter (X:) nor a full folder path (C:\mounts\bucket).");
        }

        return MountPoints.RequireEmptyDirectory(trimmed);
    }

    public static bool IsDriveLetter(string text, out char letter)
    {
        letter = text.Length > 0 ? char.ToUpperInvariant(text[0]) : '\0';
        return letter is >= 'A' and <= 'Z' && (text.Length == 1 || text[1] == ':' && (text.Length == 2 || text is [_, ':', '\\' or '/']));
    }

    private static bool LetterInUse(char letter) =>
        OperatingSystem.IsWindows() && DriveInfo.GetDrives().Any(d => char.ToUpperInvariant(d.Name[0]) == letter);
}
