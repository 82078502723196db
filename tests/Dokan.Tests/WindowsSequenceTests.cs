using System.Text;
using BucketMount.Backends;
using BucketMount.Backends.Local;
using BucketMount.Backends.Memory;
using BucketMount.Dokan.Ntfs;
using static BucketMount.Dokan.Ntfs.NtfsConstants;
using static BucketMount.Dokan.Tests.NtfsDriver;

namespace BucketMount.Dokan.Tests;

/// <summary>
/// The call sequences Windows issues (dokan2-abi.md §12), replayed against the NTFS translation over the real
/// engine on the memory and local-folder stores, checking every status, byte, attribute and request.
/// </summary>
[TestClass]
public sealed class WindowsSequenceTests
{
    private static readonly byte[] Hello = Encoding.ASCII.GetBytes("hello");

    public static IEnumerable<object[]> Stores => [["memory"], ["local"]];

    [TestMethod]
    [DynamicData(nameof(Stores))]
    public async Task Explorer_copies_a_file_in_with_its_times_and_attributes(string storeKind)
    {
        await using var drive = new NtfsDriver(NewStore(storeKind, out _));
        var data = Pattern(3 * 1048576 + 17, seed: 1);
        Assert.AreEqual(NtStatus.ObjectNameNotFound, await drive.StatusOfOpenAsync(@"\copy.bin"), "the probe before the copy");
        var volume = drive.Fs.GetVolumeInformation();
        Assert.AreEqual("NTFS", volume.FileSystemName);
        Assert.AreEqual("bucket", volume.Label);
        Assert.AreEqual(CasePreservedNames | UnicodeOnDisk, volume.FileSystemFlags & (CasePreservedNames | UnicodeOnDisk | CaseSensitiveSearch));

        var file = await drive.MustOpenAsync(@"\copy.bin", GenericWriteAccess | Delete, CreateDisposition.Create, NonDirectoryFile | 0x4 | 0x20, share: 0);
        Assert.AreEqual(NtStatus.Success, await drive.Fs.SetEndOfFileAsync(file, data.Length, Token));
        Assert.AreEqual(NtStatus.Success, await drive.Fs.SetAllocationSizeAsync(file, data.Length, Token));

        // Explorer writes 64 KiB chunks; several may be in flight at once.
        await Parallel.ForEachAsync(Enumerable.Range(0, (data.Length + 65535) / 65536), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (chunk, _) =>
        {
            var offset = chunk * 65536;
            var (status, written) = await drive.Fs.WriteFileAsync(file, offset, data.AsMemory(offset, Math.Min(65536, data.Length - offset)), Token);
            Assert.AreEqual(NtStatus.Success, status);
            Assert.AreEqual(Math.Min(65536, data.Length - offset), written);
        });
        var created = new DateTimeOffset(2012, 3, 4, 5, 6, 7, TimeSpan.Zero);
        var modified = new DateTimeOffset(2016, 1, 2, 3, 4, 5, TimeSpan.Zero);
        Assert.AreEqual(NtStatus.Success, await drive.Fs.SetFileAttributesAsync(file, AttributeArchive | AttributeHidden, Token));
        Assert.AreEqual(NtStatus.Success, await drive.Fs.SetFileTimeAsync(file, created.ToFileTime(), null, modified.ToFileTime(), Token));
        await drive.Fs.CleanupAsync(file, Token);

        // The cache manager's paging write after Cleanup: allowed inside the file, clipped at its end.
        file.PagingIo = true;
        Assert.AreEqual((NtStatus.Success, 4096), await drive.Fs.WriteFileAsync(file, 4096, data.AsMemory(4096, 4096), Token));
        Assert.AreEqual((NtStatus.Success, 0), await drive.Fs.WriteFileAsync(file, data.Length, data.AsMemory(0, 4096), Token));
        await drive.Fs.CloseFileAsync(file, Token);

        CollectionAssert.AreEqual(data, await drive.ReadAllAsync(@"\copy.bin"));
        await AssertCopiedAsync();
        await drive.Engine.WaitForUploadsAsync(null, Token);
        await drive.RemountAsync();
        CollectionAssert.AreEqual(data, await drive.ReadAllAsync(@"\COPY.BIN"), "after a remount with an empty cache, by another spelling");
        // On every store, S3-style listings included: the metadata index (docs/SEMANTICS.md) or a HEAD says.
        await AssertCopiedAsync();

        async Task AssertCopiedAsync()
        {
            var information = await drive.InformationAsync(@"\copy.bin");
            Assert.AreEqual(modified.ToFileTime(), information.LastWriteTime, "the source's last-write time, not the paging write's");
            Assert.AreEqual(created.ToFileTime(), information.CreationTime);
            Assert.AreEqual(AttributeArchive | AttributeHidden, information.Attributes);
            Assert.AreEqual(data.Length, information.Size);
        }
    }

    [TestMethod]
    public async Task Notepad_save_overwrites_and_reports_the_file_existed()
    {
        await using var drive = new NtfsDriver();
        await drive.CreateFileAsync(@"\note.txt", Encoding.ASCII.GetBytes("the old and longer content"));
        var file = await drive.MustOpenAsync(@"\note.txt", GenericWriteAccess, CreateDisposition.OverwriteIf, NonDirectoryFile, ShareRead, expected: NtStatus.ObjectNameCollision);
        Assert.AreEqual(0, (await drive.Fs.GetFileInformationAsync(file, Token)).Information!.Size, "overwrite-if truncates");
        await drive.Fs.WriteFileAsync(file, 0, Encoding.ASCII.GetBytes("new text"), Token);
        Assert.AreEqual(NtStatus.Success, await drive.Fs.SetEndOfFileAsync(file, 8, Token));
        await drive.CloseAsync(file);
        Assert.AreEqual("new text", Encoding.ASCII.GetString(await drive.ReadAllAsync(@"\note.txt")));

        Assert.AreEqual(NtStatus.Success, (await drive.OpenAsync(@"\fresh.txt", GenericWriteAccess, CreateDisposition.OpenIf)).Status, "open-if of a new file: created");
        Assert.AreEqual(NtStatus.ObjectNameCollision, (await drive.OpenAsync(@"\fresh.txt", GenericWriteAccess, CreateDisposition.Create)).Status);
        Assert.AreEqual(NtStatus.ObjectNameNotFound, (await drive.OpenAsync(@"\none.txt", GenericWriteAccess, CreateDisposition.Overwrite)).Status);
        Assert.AreEqual(NtStatus.ObjectPathNotFound, (await drive.OpenAsync(@"\nofolder\x.txt", GenericWriteAccess, CreateDisposition.Create)).Status);
    }

    [TestMethod]
    public async Task Office_save_uploads_the_document_once_and_never_downloads_it()
    {
        var store = new MemoryObjectStore();
        await store.PutAsync("Doc.docx", new MemoryStream(Pattern(100_000, seed: 2)), null, Token);
        await using var drive = new NtfsDriver(store, writeBackDelay: TimeSpan.FromSeconds(30), writeMetadataIndex: false);
        var fresh = Pattern(5000, seed: 3);
        var before = store.Counters.Snapshot();

        var temp = await drive.MustOpenAsync(@"\~WRLa.tmp", GenericWriteAccess | GenericReadAccess | Delete, CreateDisposition.Create, NonDirectoryFile, share: 0);
        await drive.Fs.SetEndOfFileAsync(temp, 8192, Token);
        await drive.Fs.SetAllocationSizeAsync(temp, 8192, Token);
        await drive.Fs.WriteFileAsync(temp, 0, fresh, Token);
        await drive.Fs.SetEndOfFileAsync(temp, 5000, Token);
        await drive.Fs.SetAllocationSizeAsync(temp, 5000, Token);
        Assert.AreEqual(NtStatus.Success, await drive.Fs.FlushFileBuffersAsync(temp, Token));
        await drive.CloseAsync(temp);

        var document = await drive.MustOpenAsync(@"\Doc.docx", Delete | Synchronize, CreateDisposition.Open, NonDirectoryFile);
        Assert.AreEqual(NtStatus.ObjectNameNotFound, await drive.StatusOfOpenAsync(@"\~WRLb.tmp"), "the rename target probe");
        Assert.AreEqual(NtStatus.Success, await drive.Fs.MoveFileAsync(document, @"\~WRLb.tmp", replace: false, Token));
        await drive.CloseAsync(document);
        temp = await drive.MustOpenAsync(@"\~WRLa.tmp", Delete | Synchronize, CreateDisposition.Open, NonDirectoryFile);
        Assert.AreEqual(NtStatus.Success, await drive.Fs.MoveFileAsync(temp, @"\Doc.docx", replace: true, Token));
        await drive.CloseAsync(temp);
        var old = await drive.MustOpenAsync(@"\~WRLb.tmp", Delete | Synchronize, CreateDisposition.Open, NonDirectoryFile);
        old.DeletePending = true;
        Assert.AreEqual(NtStatus.Success, await drive.Fs.DeleteFileAsync(old, Token));
        await drive.CloseAsync(old, deletePending: true);
        await drive.Engine.WaitForUploadsAsync(null, Token);

        var delta = store.Counters.Snapshot().Since(before);
        Assert.AreEqual(1, delta.Requests[RequestKind.Put], "the new document is uploaded once, under its final name");
        Assert.AreEqual(5000, delta.BytesUploaded);
        Assert.AreEqual(0, delta.Requests[RequestKind.Get], "the old document is never downloaded");
        CollectionAssert.AreEqual(fresh, await drive.ReadAllAsync(@"\Doc.docx"));
        Assert.IsNull(await store.HeadAsync("~WRLa.tmp", Token));
        Assert.IsNull(await store.HeadAsync("~WRLb.tmp", Token));
    }

    [TestMethod]
    public async Task Del_checks_at_DeleteFile_and_the_last_cleanup_the_driver_marks_deletes_it()
    {
        await using var drive = new NtfsDriver();
        await drive.CreateFileAsync(@"\f.txt", Hello);
        var (status, entries) = await drive.Fs.FindFilesAsync(@"\", "f.txt", Token);
        Assert.AreEqual(NtStatus.Success, status);
        Assert.AreEqual("f.txt", entries.Single().Name);

        var file = await drive.MustOpenAsync(@"\f.txt", Delete | ReadAttributes | Synchronize, CreateDisposition.Open, NonDirectoryFile | 0x200000);
        var reader = await drive.MustOpenAsync(@"\f.txt", GenericReadAccess, CreateDisposition.Open, share: ShareAll);
        file.DeletePending = true;
        Assert.AreEqual(NtStatus.Success, await drive.Fs.DeleteFileAsync(file, Token));
        await drive.CloseAsync(file);
        Assert.IsNotNull(await drive.Engine.TryGetAttributesAsync("/f.txt", Token), "another handle is still open");
        await drive.CloseAsync(reader, deletePending: true);
        Assert.AreEqual(NtStatus.ObjectNameNotFound, await drive.StatusOfOpenAsync(@"\f.txt"), "deleted when the last handle closed");

        await drive.CreateFileAsync(@"\g.txt", Hello);
        var undo = await drive.MustOpenAsync(@"\g.txt", Delete, CreateDisposition.Open);
        undo.DeletePending = true;
        await drive.Fs.DeleteFileAsync(undo, Token);
        undo.DeletePending = false;
        await drive.Fs.DeleteFileAsync(undo, Token);
        await drive.CloseAsync(undo);
        Assert.AreEqual(NtStatus.Success, await drive.StatusOfOpenAsync(@"\g.txt"), "a cancelled delete keeps the file");
    }

    [TestMethod]
    public async Task A_delete_the_driver_refused_after_DeleteFile_agreed_keeps_the_file()
    {
        // dokan2 sets DeletePending only if the delete really is pending: it refuses it (STATUS_CANNOT_DELETE) for a
        // file an image section maps, an .exe or .dll running from the drive, after DeleteFile said yes.
        await using var drive = new NtfsDriver();
        await drive.CreateFileAsync(@"\tool.exe", Hello);
        var deleter = await drive.MustOpenAsync(@"\tool.exe", Delete | Synchronize, CreateDisposition.Open, NonDirectoryFile);
        deleter.DeletePending = true;
        Assert.AreEqual(NtStatus.Success, await drive.Fs.DeleteFileAsync(deleter, Token));
        Assert.AreEqual(NtStatus.Success, await drive.StatusOfOpenAsync(@"\tool.exe"), "opens are the driver's to refuse while a delete is pending");
        await drive.CloseAsync(deleter, deletePending: false);
        CollectionAssert.AreEqual(Hello, await drive.ReadAllAsync(@"\tool.exe"));

        var temp = await drive.MustOpenAsync(@"\t.tmp", GenericWriteAccess | Delete, CreateDisposition.Create, NonDirectoryFile | DeleteOnClose);
        await drive.CloseAsync(temp, deletePending: false);
        Assert.AreEqual(NtStatus.Success, await drive.StatusOfOpenAsync(@"\t.tmp"), "delete-on-close is the driver's to turn into DeletePending too");
    }

    [TestMethod]
    public async Task Overwriting_a_hidden_or_system_file_needs_those_attributes()
    {
        await using var drive = new NtfsDriver();
        await drive.CreateFileAsync(@"\desktop.ini", Hello);
        var attributes = await drive.MustOpenAsync(@"\desktop.ini", ReadAttributes | WriteAttributes, CreateDisposition.Open);
        Assert.AreEqual(NtStatus.Success, await drive.Fs.SetFileAttributesAsync(attributes, AttributeHidden | AttributeSystem, Token));
        await drive.CloseAsync(attributes);

        foreach (var disposition in new[] { CreateDisposition.Overwrite, CreateDisposition.OverwriteIf, CreateDisposition.Supersede })
        {
            Assert.AreEqual(NtStatus.AccessDenied, (await drive.OpenAsync(@"\desktop.ini", GenericWriteAccess, disposition, attributes: AttributeNormal)).Status, $"{disposition} without either");
            Assert.AreEqual(NtStatus.AccessDenied, (await drive.OpenAsync(@"\desktop.ini", GenericWriteAccess, disposition, attributes: AttributeHidden)).Status, $"{disposition} without SYSTEM");
        }

        CollectionAssert.AreEqual(Hello, await drive.ReadAllAsync(@"\desktop.ini"), "nothing was truncated");
        var overwrite = await drive.MustOpenAsync(@"\desktop.ini", GenericWriteAccess, CreateDisposition.OverwriteIf, expected: NtStatus.ObjectNameCollision, attributes: AttributeHidden | AttributeSystem);
        await drive.CloseAsync(overwrite);
        Assert.AreEqual(AttributeHidden | AttributeSystem | AttributeArchive, (await drive.InformationAsync(@"\desktop.ini")).Attributes);
        Assert.AreEqual(0L, (await drive.InformationAsync(@"\desktop.ini")).Size);
        var opened = await drive.MustOpenAsync(@"\desktop.ini", GenericWriteAccess, CreateDisposition.Open);
        await drive.CloseAsync(opened);
    }

    [TestMethod]
    public async Task Rmdir_of_a_non_empty_directory_is_refused_and_an_empty_one_goes()
    {
        await using var drive = new NtfsDriver();
        var created = await drive.MustOpenAsync(@"\d", GenericReadAccess, CreateDisposition.Create, DirectoryFile);
        Assert.IsTrue(created.IsDirectory);
        await drive.CloseAsync(created);
        await drive.CreateFileAsync(@"\d\x.txt", Hello);

        var directory = await drive.MustOpenAsync(@"\d", Delete | Synchronize, CreateDisposition.Open, DirectoryFile | 0x4000);
        directory.DeletePending = true;
        Assert.AreEqual(NtStatus.DirectoryNotEmpty, await drive.Fs.DeleteDirectoryAsync(directory, Token));
        await drive.CloseAsync(directory);
        Assert.AreEqual(NtStatus.DirectoryNotEmpty, (await drive.OpenAsync(@"\d", Delete, CreateDisposition.Open, DirectoryFile | DeleteOnClose)).Status);
        Assert.AreEqual(NtStatus.NotADirectory, (await drive.OpenAsync(@"\d\x.txt", GenericReadAccess, CreateDisposition.Open, DirectoryFile)).Status);
        Assert.AreEqual(NtStatus.FileIsADirectory, (await drive.OpenAsync(@"\d", GenericReadAccess, CreateDisposition.Open, NonDirectoryFile)).Status);
        CollectionAssert.AreEqual(Hello, await drive.ReadAllAsync(@"\d\x.txt"));

        var file = await drive.MustOpenAsync(@"\d\x.txt", Delete, CreateDisposition.Open);
        file.DeletePending = true;
        await drive.Fs.DeleteFileAsync(file, Token);
        await drive.CloseAsync(file, deletePending: true);
        directory = await drive.MustOpenAsync(@"\d", Delete | Synchronize, CreateDisposition.Open, DirectoryFile);
        directory.DeletePending = true;
        Assert.AreEqual(NtStatus.Success, await drive.Fs.DeleteDirectoryAsync(directory, Token));
        await drive.CloseAsync(directory, deletePending: true);
        Assert.AreEqual(NtStatus.ObjectNameNotFound, await drive.StatusOfOpenAsync(@"\d"));
    }

    [TestMethod]
    public async Task Dir_with_a_pattern_lists_what_cmd_would()
    {
        await using var drive = new NtfsDriver();
        foreach (var name in new[] { "a.txt", "b.TXT", "c.doc", "notes.txt.bak", "README" })
        {
            await drive.CreateFileAsync(@"\" + name, Hello);
        }

        await drive.CloseAsync(await drive.MustOpenAsync(@"\sub", GenericReadAccess, CreateDisposition.Create, DirectoryFile));
        async Task<string[]> Dir(string pattern) => (await drive.Fs.FindFilesAsync(@"\", pattern, Token)).Entries.Select(e => e.Name).Order(StringComparer.Ordinal).ToArray();
        CollectionAssert.AreEqual(new[] { "a.txt", "b.TXT" }, await Dir("<.txt"), "cmd sends *.txt as <.txt");
        CollectionAssert.AreEqual(new[] { "a.txt", "b.TXT" }, await Dir("*.txt"));
        CollectionAssert.AreEqual(new[] { "README", "a.txt", "b.TXT", "c.doc", "notes.txt.bak", "sub" }, await Dir("*"));
        CollectionAssert.AreEqual(new[] { "c.doc" }, await Dir("?.DOC"));
        CollectionAssert.AreEqual(new[] { "README" }, await Dir("readme\"*"), "FindFirstFile sends readme.* as readme\"*: the DOS dot also matches the end of a name");
        CollectionAssert.AreEqual(Array.Empty<string>(), await Dir("readme.?"), "a literal dot needs a dot");
        CollectionAssert.AreEqual(Array.Empty<string>(), await Dir("*.xls"));
        var sub = (await drive.Fs.FindFilesAsync(@"\", "sub", Token)).Entries.Single();
        Assert.AreEqual(AttributeDirectory, sub.Attributes);
    }

    [TestMethod]
    public async Task Rename_over_an_existing_file_needs_replace_and_a_closed_target()
    {
        await using var drive = new NtfsDriver();
        await drive.CreateFileAsync(@"\x.txt", Encoding.ASCII.GetBytes("XXXX"));
        await drive.CreateFileAsync(@"\y.txt", Encoding.ASCII.GetBytes("YY"));
        await drive.CloseAsync(await drive.MustOpenAsync(@"\dir", GenericReadAccess, CreateDisposition.Create, DirectoryFile));
        var source = await drive.MustOpenAsync(@"\x.txt", Delete | Synchronize, CreateDisposition.Open);
        Assert.AreEqual(NtStatus.ObjectNameCollision, await drive.Fs.MoveFileAsync(source, @"\y.txt", replace: false, Token));
        var other = await drive.MustOpenAsync(@"\y.txt", GenericReadAccess, CreateDisposition.Open);
        Assert.AreEqual(NtStatus.AccessDenied, await drive.Fs.MoveFileAsync(source, @"\y.txt", replace: true, Token), "the target is open elsewhere");
        await drive.CloseAsync(other);
        Assert.AreEqual(NtStatus.AccessDenied, await drive.Fs.MoveFileAsync(source, @"\dir", replace: true, Token), "a directory is never replaced by a file");
        Assert.AreEqual(NtStatus.ObjectPathNotFound, await drive.Fs.MoveFileAsync(source, @"\nowhere\x.txt", replace: true, Token));
        Assert.AreEqual(NtStatus.Success, await drive.Fs.MoveFileAsync(source, @"\y.txt", replace: true, Token));
        Assert.AreEqual(NtStatus.Success, await drive.Fs.MoveFileAsync(source, @"\Y.TXT", replace: false, Token), "a case-only rename of the same file");
        await drive.CloseAsync(source);
        CollectionAssert.AreEqual(new[] { "Y.TXT", "dir" }, (await drive.Fs.FindFilesAsync(@"\", "*", Token)).Entries.Select(e => e.Name).Order(StringComparer.Ordinal).ToArray());
        Assert.AreEqual("XXXX", Encoding.ASCII.GetString(await drive.ReadAllAsync(@"\y.txt")));
    }

    [TestMethod]
    public async Task Delete_on_close_removes_the_file_and_read_only_files_refuse_it()
    {
        await using var drive = new NtfsDriver();
        var temp = await drive.MustOpenAsync(@"\t.tmp", GenericWriteAccess | Delete, CreateDisposition.Create, NonDirectoryFile | DeleteOnClose);
        await drive.Fs.WriteFileAsync(temp, 0, Hello, Token);
        await drive.CloseAsync(temp, deletePending: true);
        Assert.AreEqual(NtStatus.ObjectNameNotFound, await drive.StatusOfOpenAsync(@"\t.tmp"), "delete-on-close acts at the handle's Cleanup");

        await drive.CreateFileAsync(@"\ro.txt", Hello);
        var attributes = await drive.MustOpenAsync(@"\ro.txt", ReadAttributes | WriteAttributes, CreateDisposition.Open);
        Assert.AreEqual(NtStatus.Success, await drive.Fs.SetFileAttributesAsync(attributes, AttributeReadOnly | AttributeHidden, Token));
        await drive.CloseAsync(attributes);
        Assert.AreEqual(NtStatus.CannotDelete, (await drive.OpenAsync(@"\ro.txt", Delete, CreateDisposition.Open, DeleteOnClose)).Status);
        Assert.AreEqual(NtStatus.AccessDenied, (await drive.OpenAsync(@"\ro.txt", GenericWriteAccess, CreateDisposition.Open)).Status);
        Assert.AreEqual(NtStatus.AccessDenied, (await drive.OpenAsync(@"\ro.txt", GenericReadAccess, CreateDisposition.OverwriteIf)).Status);
        var deleter = await drive.MustOpenAsync(@"\ro.txt", Delete, CreateDisposition.Open);
        deleter.DeletePending = true;
        Assert.AreEqual(NtStatus.CannotDelete, await drive.Fs.DeleteFileAsync(deleter, Token));
        await drive.CloseAsync(deleter);

        await drive.Engine.WaitForUploadsAsync(null, Token);
        await drive.RemountAsync();
        var information = await drive.InformationAsync(@"\ro.txt");
        Assert.AreEqual(AttributeReadOnly | AttributeHidden, information.Attributes, "read-only and hidden survive a remount");
        Assert.AreEqual(0, (await drive.Engine.GetAttributesAsync("/ro.txt", Token)).Mode & 0x92, "read-only is the mode without write bits, for Linux too");
    }

    [TestMethod]
    public async Task Conflicting_share_modes_give_sharing_violations()
    {
        await using var drive = new NtfsDriver();
        await drive.CreateFileAsync(@"\s.txt", Hello);
        var reader = await drive.MustOpenAsync(@"\s.txt", GenericReadAccess, CreateDisposition.Open, share: ShareRead);
        Assert.AreEqual(NtStatus.SharingViolation, (await drive.OpenAsync(@"\s.txt", GenericWriteAccess, CreateDisposition.Open)).Status, "the reader does not share writing");
        Assert.AreEqual(NtStatus.SharingViolation, (await drive.OpenAsync(@"\S.TXT", Delete, CreateDisposition.Open)).Status, "nor deleting, whatever the spelling");
        Assert.AreEqual(NtStatus.SharingViolation, (await drive.OpenAsync(@"\s.txt", GenericReadAccess, CreateDisposition.Open, share: ShareWrite)).Status, "a reader that refuses to share reading");
        var second = await drive.MustOpenAsync(@"\s.txt", GenericReadAccess, CreateDisposition.Open, share: ShareRead);
        var attributesOnly = await drive.MustOpenAsync(@"\s.txt", ReadAttributes, CreateDisposition.Open, share: 0);
        await drive.CloseAsync(attributesOnly);
        await drive.CloseAsync(second);
        await drive.CloseAsync(reader);
        var writer = await drive.MustOpenAsync(@"\s.txt", GenericWriteAccess, CreateDisposition.Open, share: 0);
        Assert.AreEqual(NtStatus.SharingViolation, (await drive.OpenAsync(@"\s.txt", GenericReadAccess, CreateDisposition.Open)).Status);
        await drive.CloseAsync(writer);
        Assert.AreEqual(NtStatus.Success, await drive.StatusOfOpenAsync(@"\s.txt"));
    }

    [TestMethod]
    public async Task Opening_README_TXT_finds_readme_txt_and_keeps_its_spelling()
    {
        await using var drive = new NtfsDriver();
        await drive.CreateFileAsync(@"\readme.txt", Hello);
        CollectionAssert.AreEqual(Hello, await drive.ReadAllAsync(@"\README.TXT"));
        Assert.AreEqual(NtStatus.ObjectNameCollision, (await drive.OpenAsync(@"\README.TXT", GenericWriteAccess, CreateDisposition.Create)).Status);
        var overwrite = await drive.MustOpenAsync(@"\Readme.Txt", GenericWriteAccess, CreateDisposition.OverwriteIf, expected: NtStatus.ObjectNameCollision);
        await drive.Fs.WriteFileAsync(overwrite, 0, Encoding.ASCII.GetBytes("bye"), Token);
        await drive.CloseAsync(overwrite);
        Assert.AreEqual("readme.txt", (await drive.Fs.FindFilesAsync(@"\", "*", Token)).Entries.Single().Name);
        Assert.AreEqual("bye", Encoding.ASCII.GetString(await drive.ReadAllAsync(@"\readme.txt")));
    }

    [TestMethod]
    public async Task Byte_range_locks_are_held_per_handle()
    {
        await using var drive = new NtfsDriver();
        await drive.CreateFileAsync(@"\l.bin", new byte[64]);
        var a = await drive.MustOpenAsync(@"\l.bin", GenericReadAccess | GenericWriteAccess, CreateDisposition.Open);
        var b = await drive.MustOpenAsync(@"\l.bin", GenericReadAccess | GenericWriteAccess, CreateDisposition.Open);
        Assert.AreEqual(NtStatus.Success, drive.Fs.LockFile(a, 0, 20));
        Assert.AreEqual(NtStatus.LockNotGranted, drive.Fs.LockFile(b, 10, 5));
        Assert.AreEqual(NtStatus.FileLockConflict, (await drive.Fs.WriteFileAsync(b, 12, new byte[2], Token)).Status);
        Assert.AreEqual(NtStatus.FileLockConflict, (await drive.Fs.ReadFileAsync(b, 0, new byte[4], Token)).Status);
        Assert.AreEqual(NtStatus.Success, (await drive.Fs.WriteFileAsync(a, 12, new byte[2], Token)).Status, "the owner writes in its own range");
        Assert.AreEqual(NtStatus.RangeNotLocked, drive.Fs.UnlockFile(b, 0, 20));
        await drive.CloseAsync(a);
        Assert.AreEqual(NtStatus.Success, drive.Fs.LockFile(b, 10, 5), "closing a handle releases its locks");
        await drive.CloseAsync(b);
    }

    [TestMethod]
    public async Task Explorer_thumbnail_reads_of_a_large_file_download_only_what_they_touch()
    {
        var store = new MemoryObjectStore();
        await store.PutAsync("video.mp4", new MemoryStream(Pattern(64 << 20, seed: 4)), null, Token);
        await using var drive = new NtfsDriver(store);
        var before = store.Counters.Snapshot();
        var file = await drive.MustOpenAsync(@"\video.mp4", GenericReadAccess, CreateDisposition.Open, NonDirectoryFile);
        var head = new byte[4096];
        var tail = new byte[4096];
        Assert.AreEqual((NtStatus.Success, 4096), await drive.Fs.ReadFileAsync(file, 0, head, Token));
        Assert.AreEqual((NtStatus.Success, 4096), await drive.Fs.ReadFileAsync(file, (64 << 20) - 4096, tail, Token));
        Assert.AreEqual((NtStatus.Success, 0), await drive.Fs.ReadFileAsync(file, 64 << 20, tail, Token), "at the end: success with nothing");
        await drive.CloseAsync(file);
        var delta = store.Counters.Snapshot().Since(before);
        Assert.IsTrue(delta.BytesDownloaded <= 8L << 20, $"a thumbnail read downloaded {delta.BytesDownloaded} bytes of a 64 MiB file");
        CollectionAssert.AreEqual(Pattern(64 << 20, seed: 4)[..4096], head);
    }

    [TestMethod]
    public async Task Append_writes_land_at_the_end_whatever_the_offset()
    {
        await using var drive = new NtfsDriver();
        await drive.CreateFileAsync(@"\log.txt", Encoding.ASCII.GetBytes("one;"));
        var appender = await drive.MustOpenAsync(@"\log.txt", 0x4 | Synchronize, CreateDisposition.Open);
        appender.WriteToEndOfFile = true;
        Assert.AreEqual((NtStatus.Success, 4), await drive.Fs.WriteFileAsync(appender, 0, Encoding.ASCII.GetBytes("two;"), Token));
        appender.WriteToEndOfFile = false;
        Assert.AreEqual((NtStatus.Success, 6), await drive.Fs.WriteFileAsync(appender, -1, Encoding.ASCII.GetBytes("three;"), Token));
        await drive.CloseAsync(appender);
        Assert.AreEqual("one;two;three;", Encoding.ASCII.GetString(await drive.ReadAllAsync(@"\log.txt")));
        var reader = await drive.MustOpenAsync(@"\log.txt", GenericReadAccess, CreateDisposition.Open);
        Assert.AreEqual(NtStatus.AccessDenied, (await drive.Fs.WriteFileAsync(reader, 0, Hello, Token)).Status, "no write through a read handle");
        await drive.CloseAsync(reader);
    }

    [TestMethod]
    public async Task Windows_invalid_key_names_show_through_the_reversible_mapping()
    {
        var store = new MemoryObjectStore();
        await store.PutAsync("a:b?.txt", new MemoryStream(Hello), null, Token);
        await using var drive = new NtfsDriver(store);
        var shown = (await drive.Fs.FindFilesAsync(@"\", "*", Token)).Entries.Single().Name;
        Assert.IsFalse(shown.IndexOfAny([':', '?']) >= 0, $"'{shown}' must be a valid Windows name");
        CollectionAssert.AreEqual(Hello, await drive.ReadAllAsync(@"\" + shown));
        var file = await drive.MustOpenAsync(@"\" + shown, GenericWriteAccess, CreateDisposition.Open);
        await drive.Fs.WriteFileAsync(file, 5, Encoding.ASCII.GetBytes("!"), Token);
        await drive.CloseAsync(file);
        await drive.Engine.WaitForUploadsAsync(null, Token);
        Assert.AreEqual(6, (await store.HeadAsync("a:b?.txt", Token))?.Size, "written back under the original key");
    }

    private static IObjectStore NewStore(string kind, out string? folder)
    {
        folder = null;
        if (kind == "memory")
        {
            return new MemoryObjectStore();
        }

        folder = Directory.CreateTempSubdirectory("bucketmount-ntfs-store-").FullName;
        return new LocalFolderStore(folder);
    }

    private static byte[] Pattern(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }
}
