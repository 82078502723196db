using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using BucketMount.Dokan.Interop;

namespace BucketMount.Dokan.Tests;

/// <summary>The structs match dokan2's x64 layout (dokan2-abi.md, measured from the real headers); a wrong size corrupts memory.</summary>
[TestClass]
public sealed unsafe class InteropLayoutTests
{
    [TestMethod]
    public void Struct_sizes_match_dokan2()
    {
        Assert.AreEqual(16432, sizeof(DokanOptions));
        Assert.AreEqual(48, sizeof(DokanFileInfo));
        Assert.AreEqual(200, sizeof(DokanOperations));
        Assert.AreEqual(52, sizeof(ByHandleFileInformation));
        Assert.AreEqual(592, sizeof(Win32FindData));
        Assert.AreEqual(8, sizeof(FileTime));
    }

    [TestMethod]
    public void Field_offsets_match_dokan2()
    {
        Assert.AreEqual(4, Offset<DokanOptions>(nameof(DokanOptions.Options)));
        Assert.AreEqual(8, Offset<DokanOptions>(nameof(DokanOptions.GlobalContext)));
        Assert.AreEqual(16, Offset<DokanOptions>(nameof(DokanOptions.MountPoint)));
        Assert.AreEqual(24, Offset<DokanOptions>(nameof(DokanOptions.UncName)));
        Assert.AreEqual(32, Offset<DokanOptions>(nameof(DokanOptions.Timeout)));
        Assert.AreEqual(44, Offset<DokanOptions>(nameof(DokanOptions.VolumeSecurityDescriptorLength)));
        Assert.AreEqual(48, Offset<DokanOptions>(nameof(DokanOptions.VolumeSecurityDescriptor)));
        Assert.AreEqual(16, Offset<DokanFileInfo>(nameof(DokanFileInfo.DokanOptions)));
        Assert.AreEqual(32, Offset<DokanFileInfo>(nameof(DokanFileInfo.ProcessId)));
        Assert.AreEqual(36, Offset<DokanFileInfo>(nameof(DokanFileInfo.IsDirectory)));
        Assert.AreEqual(37, Offset<DokanFileInfo>(nameof(DokanFileInfo.DeletePending)));
        Assert.AreEqual(38, Offset<DokanFileInfo>(nameof(DokanFileInfo.PagingIo)));
        Assert.AreEqual(41, Offset<DokanFileInfo>(nameof(DokanFileInfo.WriteToEndOfFile)));
        Assert.AreEqual(0, Offset<DokanOperations>(nameof(DokanOperations.ZwCreateFile)));
        Assert.AreEqual(64, Offset<DokanOperations>(nameof(DokanOperations.FindFilesWithPattern)));
        Assert.AreEqual(104, Offset<DokanOperations>(nameof(DokanOperations.MoveFile)));
        Assert.AreEqual(152, Offset<DokanOperations>(nameof(DokanOperations.GetVolumeInformation)));
        Assert.AreEqual(192, Offset<DokanOperations>(nameof(DokanOperations.FindStreams)));
        Assert.AreEqual(4, Offset<ByHandleFileInformation>(nameof(ByHandleFileInformation.CreationTime)));
        Assert.AreEqual(28, Offset<ByHandleFileInformation>(nameof(ByHandleFileInformation.VolumeSerialNumber)));
        Assert.AreEqual(48, Offset<ByHandleFileInformation>(nameof(ByHandleFileInformation.FileIndexLow)));
        Assert.AreEqual(28, Offset<Win32FindData>(nameof(Win32FindData.FileSizeHigh)));
        Assert.AreEqual(44, Offset<Win32FindData>(nameof(Win32FindData.FileName)));
        Assert.AreEqual(564, Offset<Win32FindData>(nameof(Win32FindData.AlternateFileName)));
    }

    [TestMethod]
    public void The_operations_table_fills_every_callback_the_host_implements()
    {
        var table = DokanCallbacks.Table();
        var slots = new ReadOnlySpan<nint>(Unsafe.AsPointer(ref table), sizeof(DokanOperations) / sizeof(nint));
        for (var i = 0; i < slots.Length; i++)
        {
            // 24 is FindStreams: absent without DOKAN_OPTION_ALT_STREAM, which the host does not set.
            Assert.AreEqual(i != 24, slots[i] != 0, $"operation slot {i}");
        }
    }

    [TestMethod]
    public void FileTime_splits_and_joins_a_64_bit_value()
    {
        var value = new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero).ToFileTime();
        var time = FileTime.From(value);
        Assert.AreEqual(value, time.Value);
        Assert.AreEqual((uint)(value >> 32), time.High);
    }

    private static int Offset<T>(string field) => (int)Marshal.OffsetOf<T>(field);
}
