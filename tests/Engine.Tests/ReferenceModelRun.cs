namespace BucketMount.Engine.Tests;

/// <summary>A handle the run holds open, and the model node it reaches (which stays its own after an unlink).</summary>
internal sealed record ModelHandle(int Id, FileHandle Handle, ModelNode Node);

/// <summary>
/// One seeded run: picks operations, applies them to the engine and the model, and compares after every step
/// (ReferenceModelRun.Checks.cs); crashes and the outside writer live in ReferenceModelRun.Events.cs.
/// </summary>
internal sealed partial class ReferenceModelRun(ModelEngineHost host, ModelScenario scenario, int seed, CancellationToken token)
{
    private const int KiB = 1024;
    private static readonly string[] Names = ["a", "b", "c", "d.txt", "e f", "ü"];
    private readonly Random _random = new(seed);
    private readonly ReferenceModel _model = new();
    private readonly List<ModelHandle> _handles = [];
    private readonly List<string> _history = [];
    private readonly HashSet<ModelNode> _touched = [];

    // Symlinks this engine generation did not make: a listing without metadata shows them as files (issue 16).
    private readonly HashSet<string> _unknownKind = new(StringComparer.Ordinal);
    private int _step;
    private int _nextHandle;

    public int Applied { get; private set; }

    public Dictionary<string, int> Counts { get; } = [];

    private MountEngine Engine => host.Engine;

    public async Task RunAsync(int steps)
    {
        for (_step = 0; _step < steps; _step++)
        {
            _touched.Clear();
            var what = await StepAsync();
            if (what is null)
            {
                continue;
            }

            Applied++;
            _history.Add($"{_step}: {what}");
            var kind = what.Split(' ')[0];
            Counts[kind] = Counts.GetValueOrDefault(kind) + 1;
            await CompareAsync(what, full: _step % 25 == 0);
        }
    }

    public async Task CloseAllAsync()
    {
        foreach (var handle in _handles.ToList())
        {
            await CloseAsync(handle);
        }
    }

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    private string RandomPath() => ReferenceModel.Combine(Pick(_model.Directories.ToList()), Pick(Names));

    private int RandomSize() => _random.Next(20) switch
    {
        0 => 0,
        < 10 => _random.Next(1, 4 * KiB),
        < 16 => _random.Next(4 * KiB, 100 * KiB),
        _ => _random.Next(100 * KiB, 300 * KiB),
    };

    private byte[] RandomBytes(int size)
    {
        var data = new byte[size];
        _random.NextBytes(data);
        return data;
    }

    private string? PathOf(ModelNode node) => _model.Files.FirstOrDefault(f => ReferenceEquals(f.Value, node)).Key;

    /// <summary>Applies one random operation; returns its description, or null when it was not applicable.</summary>
    private async Task<string?> StepAsync()
    {
        var files = _model.Files.Keys.ToList();
        var entries = files.Concat(_model.Symlinks.Keys).ToList();
        var roll = _random.Next(100);
        return roll switch
        {
            < 10 => await CreateAsync(RandomPath()),
            < 22 => files.Count == 0 ? null : await WriteAsync(await HandleForAsync(Pick(files)), append: false, sparse: false),
            < 27 => files.Count == 0 ? null : await WriteAsync(await HandleForAsync(Pick(files)), append: true, sparse: false),
            < 30 => files.Count == 0 ? null : await WriteAsync(await HandleForAsync(Pick(files)), append: false, sparse: true),
            < 35 => _handles.Count == 0 ? null : await WriteAsync(Pick(_handles), append: false, sparse: false),
            < 39 => files.Count == 0 ? null : await TruncateAsync(await HandleForAsync(Pick(files))),
            < 41 => files.Count == 0 ? null : await TruncatePathAsync(Pick(files)),
            < 47 => files.Count == 0 ? null : await OpenAsync(Pick(files)),
            < 56 => _handles.Count == 0 ? null : await CloseAsync(Pick(_handles)),
            < 60 => _handles.Count == 0 ? null : await SyncAsync(Pick(_handles)),
            < 63 => files.Count == 0 ? null : await ChmodAsync(Pick(files)),
            < 64 => files.Count == 0 ? null : await TouchAsync(Pick(files)),
            < 66 => await SymlinkAsync(RandomPath()),
            < 72 => entries.Count == 0 ? null : await RenameEntryAsync(Pick(entries), RandomPath()),
            < 77 => entries.Count == 0 ? null : await UnlinkAsync(Pick(entries)),
            < 80 => await MkdirAsync(RandomPath()),
            < 82 => await RmdirAsync(Pick(_model.Directories.ToList())),
            < 85 => await RenameDirectoryAsync(Pick(_model.Directories.ToList()), RandomPath()),
            < 89 => files.Count == 0 ? null : await ConcurrentWritesAsync(),
            < 90 => scenario.BigFiles ? await BigFileAsync(RandomPath()) : null,
            < 92 => scenario.Faults ? Throttle() : null,
            < 94 => scenario.Crashes ? await CrashAsync() : null,
            < 97 => scenario.OutsideWriter && files.Count > 0 ? await OutsideWriteAsync(Pick(files)) : null,
            _ => files.Count == 0 ? null : await ReadCheckAsync(Pick(files)),
        };
    }

    private async Task<ModelHandle> OpenHandleAsync(string path, OpenFlags flags)
    {
        var handle = await Engine.OpenAsync(path, flags, token);
        var node = _model.Files[path];
        node.OpenHandles++;
        var held = new ModelHandle(++_nextHandle, handle, node);
        _handles.Add(held);
        _touched.Add(node);
        return held;
    }

    /// <summary>An open handle of the file, most often one already held.</summary>
    private async Task<ModelHandle> HandleForAsync(string path)
    {
        var node = _model.Files[path];
        var held = _handles.Where(h => ReferenceEquals(h.Node, node)).ToList();
        return held.Count > 0 && _random.Next(3) > 0 ? Pick(held) : await OpenHandleAsync(path, OpenFlags.ReadWrite);
    }

    private async Task<string?> CreateAsync(string path)
    {
        if (_model.Exists(path))
        {
            var error = await Assert.ThrowsExactlyAsync<FileSystemException>(() => Engine.OpenAsync(path, OpenFlags.ReadWrite | OpenFlags.Create | OpenFlags.Exclusive, token));
            Assert.AreEqual(_model.Directories.Contains(path) ? FsError.Exists : FsError.Exists, error.Error, Where("create", path));
            return null;
        }

        var handle = await Engine.OpenAsync(path, OpenFlags.ReadWrite | OpenFlags.Create | OpenFlags.Exclusive, token);
        var node = new ModelNode();
        _model.Files[path] = node;
        node.OpenHandles++;
        var held = new ModelHandle(++_nextHandle, handle, node);
        _handles.Add(held);
        var data = RandomBytes(RandomSize());
        await handle.WriteAsync(0, data, token);
        ReferenceModel.Write(node, 0, data);
        _touched.Add(node);
        var closed = await MaybeCloseAsync(held);
        return $"create {path} with {data.Length} bytes{(closed ? ", closed" : $" as h{held.Id}")}";
    }

    private async Task<string> WriteAsync(ModelHandle held, bool append, bool sparse)
    {
        var node = held.Node;
        var data = RandomBytes(Math.Max(1, RandomSize()));
        long offset = append ? node.Data.Length
            : sparse ? node.Data.Length + _random.Next(1, 300 * KiB)
            : _random.Next(0, node.Data.Length + 1);
        await held.Handle.WriteAsync(offset, data, token);
        ReferenceModel.Write(node, offset, data);
        _touched.Add(node);
        var closed = await MaybeCloseAsync(held);
        return $"{(append ? "append" : sparse ? "sparse-write" : "write")} {data.Length} at {offset} by h{held.Id} ({PathOf(node) ?? "unlinked"}){(closed ? ", closed" : "")}";
    }

    private async Task<string> TruncateAsync(ModelHandle held)
    {
        var length = _random.Next(0, held.Node.Data.Length + 200 * KiB);
        await held.Handle.TruncateAsync(length, token);
        ReferenceModel.Truncate(held.Node, length);
        _touched.Add(held.Node);
        var closed = await MaybeCloseAsync(held);
        return $"ftruncate h{held.Id} ({PathOf(held.Node)}) to {length}{(closed ? ", closed" : "")}";
    }

    private async Task<string> TruncatePathAsync(string path)
    {
        var node = _model.Files[path];
        var length = _random.Next(0, node.Data.Length + 200 * KiB);
        await Engine.SetAttributesAsync(path, new AttributeChanges { Size = length }, token);
        ReferenceModel.Truncate(node, length);
        // truncate(2) is no close: durable (as the engine's last release of its own handle) only when nothing else holds the file open.
        if (node.OpenHandles == 0)
        {
            node.MarkDurable();
        }

        _touched.Add(node);
        return $"truncate {path} to {length}";
    }

    private async Task<string> OpenAsync(string path)
    {
        var truncate = _random.Next(4) == 0;
        var held = await OpenHandleAsync(path, OpenFlags.ReadWrite | (truncate ? OpenFlags.Truncate : 0));
        if (truncate)
        {
            ReferenceModel.Truncate(held.Node, 0);
        }

        return $"open {path}{(truncate ? " O_TRUNC" : "")} as h{held.Id}";
    }

    /// <summary>close(2) as the FUSE host does it: a flush (which makes the file durable), then the release.</summary>
    private async Task<string> CloseAsync(ModelHandle held)
    {
        await held.Handle.FlushAsync(token);
        await held.Handle.ReleaseAsync(token);
        _handles.Remove(held);
        held.Node.OpenHandles--;
        held.Node.MarkDurable();
        _touched.Add(held.Node);
        return $"close h{held.Id} ({PathOf(held.Node) ?? "unlinked"})";
    }

    private async Task<bool> MaybeCloseAsync(ModelHandle held)
    {
        if (_random.Next(3) == 0)
        {
            return false;
        }

        await CloseAsync(held);
        return true;
    }

    private async Task<string> SyncAsync(ModelHandle held)
    {
        await held.Handle.SyncAsync(token);
        held.Node.MarkDurable();
        return $"fsync h{held.Id} ({PathOf(held.Node) ?? "unlinked"})";
    }

    private async Task<string> ChmodAsync(string path)
    {
        var mode = Pick([0x1A4 /* 0644 */, 0x180 /* 0600 */, 0x1ED /* 0755 */, 0x100 /* 0400 */]);
        await Engine.SetAttributesAsync(path, new AttributeChanges { Mode = mode }, token);
        _model.Files[path].Mode = mode;
        return $"chmod {Convert.ToString(mode, 8)} {path}";
    }

    private async Task<string> TouchAsync(string path)
    {
        var time = DateTimeOffset.FromUnixTimeSeconds(1_600_000_000 + _random.Next(100_000_000));
        await Engine.SetAttributesAsync(path, new AttributeChanges { ModifiedTime = time }, token);
        var shown = await Engine.GetAttributesAsync(path, token);
        Assert.AreEqual(time, shown.ModifiedTime, Where("touch", $"modification time of {path} right after it was set"));
        return $"touch {path} at {time:u}";
    }

    private async Task<string?> SymlinkAsync(string path)
    {
        if (_model.Exists(path))
        {
            return null;
        }

        var target = Pick(["a", "../b", "/abs/target", "d.txt", "nowhere/deep"]);
        await Engine.CreateSymlinkAsync(path, target, token);
        _model.Symlinks[path] = target;
        return $"symlink {path} -> {target}";
    }

    private async Task<string?> RenameEntryAsync(string from, string to)
    {
        if (from == to || _model.Directories.Contains(to) || !_model.Directories.Contains(ReferenceModel.Parent(to)))
        {
            return null;
        }

        var replaced = _model.Files.GetValueOrDefault(to);
        await Engine.RenameAsync(from, to, noReplace: false, token);
        _model.RenameEntry(from, to);
        if (_model.Files.GetValueOrDefault(to) is { } moved)
        {
            // A rename makes what was written so far durable under the new name, closed or not (docs/SEMANTICS.md).
            moved.MarkDurable();
            _touched.Add(moved);
        }

        var kindUnknown = _unknownKind.Remove(from);
        _unknownKind.Remove(to);
        if (kindUnknown)
        {
            _unknownKind.Add(to);
        }

        if (replaced is not null)
        {
            _touched.Add(replaced);
        }

        return $"rename {from} -> {to}{(replaced is { OpenHandles: > 0 } ? " (over an open file)" : "")}";
    }

    private async Task<string> UnlinkAsync(string path)
    {
        var node = _model.Files.GetValueOrDefault(path);
        await Engine.DeleteFileAsync(path, token);
        _model.Files.Remove(path);
        _model.Symlinks.Remove(path);
        _unknownKind.Remove(path);
        if (node is not null)
        {
            _touched.Add(node);
        }

        return $"unlink {path}{(node is { OpenHandles: > 0 } ? " (open)" : "")}";
    }

    private async Task<string?> MkdirAsync(string path)
    {
        if (_model.Exists(path))
        {
            return null;
        }

        await Engine.CreateDirectoryAsync(path, token);
        _model.Directories.Add(path);
        return $"mkdir {path}";
    }

    private async Task<string?> RmdirAsync(string path)
    {
        if (path == "/")
        {
            return null;
        }

        if (_model.ChildrenOf(path).Any())
        {
            var error = await Assert.ThrowsExactlyAsync<FileSystemException>(() => Engine.RemoveDirectoryAsync(path, token));
            Assert.AreEqual(FsError.NotEmpty, error.Error, Where("rmdir", path));
            return null;
        }

        await Engine.RemoveDirectoryAsync(path, token);
        _model.Directories.Remove(path);
        return $"rmdir {path}";
    }

    private async Task<string?> RenameDirectoryAsync(string from, string to)
    {
        if (from == "/" || _model.Exists(to) || to.StartsWith(from + "/", StringComparison.Ordinal) || !_model.Directories.Contains(ReferenceModel.Parent(to)))
        {
            return null;
        }

        var openBelow = _handles.Count(h => PathOf(h.Node) is { } p && ReferenceModel.IsBelow(p, from));
        await Engine.RenameAsync(from, to, noReplace: true, token);
        foreach (var (path, node) in _model.Files.Where(f => ReferenceModel.IsBelow(f.Key, from)))
        {
            node.MarkDurable();
        }

        foreach (var link in _unknownKind.Where(p => ReferenceModel.IsBelow(p, from)).ToList())
        {
            _unknownKind.Remove(link);
            _unknownKind.Add(to + link[from.Length..]);
        }

        _model.RenameDirectory(from, to);
        // A directory rename clears the whole metadata cache (issue 17 defect 7), after which lookups answer from
        // listings that carry no metadata (issue 16): modes and symlink kinds are not compared from here on.
        ForgetModes();
        return $"rename dir {from} -> {to}{(openBelow > 0 ? $" ({openBelow} open below)" : "")}";
    }

    /// <summary>Two or three writers at once on disjoint ranges (of one file or several): any order gives the same bytes.</summary>
    private async Task<string> ConcurrentWritesAsync()
    {
        var writers = new List<(ModelHandle Held, long Offset, byte[] Data)>();
        var slotOfNode = new Dictionary<ModelNode, int>();
        var startOfNode = new Dictionary<ModelNode, long>();
        for (var i = 0; i < _random.Next(2, 4); i++)
        {
            var held = _handles.Count > 0 && _random.Next(2) == 0 ? Pick(_handles) : await HandleForAsync(Pick(_model.Files.Keys.ToList()));
            var slot = slotOfNode[held.Node] = slotOfNode.GetValueOrDefault(held.Node, -1) + 1;
            if (!startOfNode.TryGetValue(held.Node, out var start))
            {
                start = startOfNode[held.Node] = _random.Next(0, held.Node.Data.Length + 1);
            }

            writers.Add((held, start + slot * 80 * KiB + _random.Next(0, 10 * KiB), RandomBytes(_random.Next(1, 60 * KiB))));
        }

        await Task.WhenAll(writers.Select(w => Task.Run(() => w.Held.Handle.WriteAsync(w.Offset, w.Data, token), token)));
        foreach (var (held, offset, data) in writers)
        {
            ReferenceModel.Write(held.Node, offset, data);
            _touched.Add(held.Node);
        }

        return $"concurrent {string.Join(", ", writers.Select(w => $"h{w.Held.Id} writes {w.Data.Length} at {w.Offset}"))}";
    }

    /// <summary>A file past the multipart threshold: written in order from empty (streamed while written), or grown by one write.</summary>
    private async Task<string?> BigFileAsync(string path)
    {
        if (_model.Exists(path) || _model.Files.Values.Count(n => n.Data.Length > 4 * EngineOptions.MiB) >= 2)
        {
            return null;
        }

        var held = await CreateHandleAsync(path);
        var size = _random.Next(10 * EngineOptions.MiB, 12 * EngineOptions.MiB);
        var inOrder = _random.Next(2) == 0;
        if (inOrder)
        {
            for (long offset = 0; offset < size; offset += EngineOptions.MiB)
            {
                var chunk = RandomBytes((int)Math.Min(EngineOptions.MiB, size - offset));
                await held.Handle.WriteAsync(offset, chunk, token);
                ReferenceModel.Write(held.Node, offset, chunk);
            }
        }
        else
        {
            var chunk = RandomBytes(_random.Next(KiB, 200 * KiB));
            await held.Handle.WriteAsync(size - chunk.Length, chunk, token);
            ReferenceModel.Write(held.Node, size - chunk.Length, chunk);
        }

        var closed = await MaybeCloseAsync(held);
        return $"bigfile {path} {size} bytes {(inOrder ? "in order" : "sparse")}{(closed ? ", closed" : $" as h{held.Id}")}";
    }

    private async Task<ModelHandle> CreateHandleAsync(string path)
    {
        var handle = await Engine.OpenAsync(path, OpenFlags.ReadWrite | OpenFlags.Create | OpenFlags.Exclusive, token);
        var node = new ModelNode { OpenHandles = 1 };
        _model.Files[path] = node;
        var held = new ModelHandle(++_nextHandle, handle, node);
        _handles.Add(held);
        _touched.Add(node);
        return held;
    }

    private string Throttle()
    {
        var count = _random.Next(1, 6);
        host.Throttle(count);
        return $"throttle next {count} calls";
    }

    private async Task<string> ReadCheckAsync(string path)
    {
        var node = _model.Files[path];
        if (node.Data.Length == 0)
        {
            return $"read {path} (empty)";
        }

        var offset = _random.Next(0, node.Data.Length);
        var buffer = new byte[Math.Min(node.Data.Length - offset + 100, _random.Next(1, 200 * KiB))];
        var held = _handles.FirstOrDefault(h => ReferenceEquals(h.Node, node));
        int read;
        if (held is not null)
        {
            read = await held.Handle.ReadAsync(offset, buffer, token);
        }
        else
        {
            await using var handle = await Engine.OpenAsync(path, OpenFlags.Read, token);
            read = await handle.ReadAsync(offset, buffer, token);
        }

        var expected = node.Data.AsSpan(offset, Math.Min(buffer.Length, node.Data.Length - offset)).ToArray();
        CollectionAssert.AreEqual(expected, buffer[..read], Where("read", $"{buffer.Length} bytes at {offset} of {path}"));
        return $"read {buffer.Length} at {offset} of {path}";
    }
}
