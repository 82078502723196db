namespace BucketMount.Engine.Tests;

/// <summary>One seeded run: picks operations, applies them to the engine and the model, and compares.</summary>
internal sealed class ReferenceModelRun(EngineFixture fx, int seed, CancellationToken token)
{
    private static readonly string[] Names = ["a", "b", "c", "d.txt", "e f", "ü"];
    private readonly Random _random = new(seed);
    private readonly ReferenceModel _model = new();
    private readonly Dictionary<string, FileHandle> _open = new(StringComparer.Ordinal);
    private readonly List<string> _history = [];
    private int _step;

    public int Applied { get; private set; }

    private MountEngine Engine => fx.Engine;

    public async Task RunAsync(int steps)
    {
        for (_step = 0; _step < steps; _step++)
        {
            var what = await StepAsync();
            if (what is not null)
            {
                Applied++;
                _history.Add(what);
                await CompareAsync(what);
            }
        }
    }

    public async Task CloseAllAsync()
    {
        foreach (var handle in _open.Values)
        {
            await handle.ReleaseAsync(token);
        }

        _open.Clear();
    }

    public async Task CompareAsync(string after)
    {
        foreach (var dir in _model.Directories)
        {
            var listed = await Engine.ListDirectoryAsync(dir, token);
            var expected = _model.ChildrenOf(dir).Select(p => p[(p.LastIndexOf('/') + 1)..]).ToArray();
            CollectionAssert.AreEqual(expected, listed.Select(n => n.Name).ToArray(),
                Where(after, $"listing of {dir}: expected [{string.Join(", ", expected)}], got [{string.Join(", ", listed.Select(n => n.Name))}]"));
            foreach (var node in listed)
            {
                var path = ReferenceModel.Combine(dir, node.Name);
                Assert.AreEqual(_model.Directories.Contains(path), node.IsDirectory, Where(after, $"kind of {path}"));
                if (!node.IsDirectory)
                {
                    Assert.AreEqual(_model.Files[path].Length, node.Size, Where(after, $"size of {path}"));
                }
            }
        }

        foreach (var (path, content) in _model.Files)
        {
            CollectionAssert.AreEqual(content, await ReadAsync(path), Where(after, $"content of {path}"));
        }
    }

    private string Where(string after, string what) =>
        $"seed {seed}, step {_step} ({after}): {what}\nlast operations:\n  {string.Join("\n  ", _history.TakeLast(12))}\nstore ({fx.Store.Description}):\n  {string.Join("\n  ", StoreKeys())}";

    private List<string> StoreKeys()
    {
        var keys = new List<string>();
        var enumerator = fx.Store.ListAsync("", null, CancellationToken.None).GetAsyncEnumerator();
        while (enumerator.MoveNextAsync().AsTask().GetAwaiter().GetResult())
        {
            keys.Add(enumerator.Current.Key);
        }

        return keys;
    }

    private async Task<byte[]> ReadAsync(string path)
    {
        if (_open.TryGetValue(path, out var handle))
        {
            var size = (await Engine.GetAttributesAsync(path, token)).Size;
            var data = new byte[size];
            var read = await handle.ReadAsync(0, data, token);
            return data[..read];
        }

        return await fx.ReadFileAsync(path, token);
    }

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    private string RandomPath()
    {
        var dir = Pick(_model.Directories.ToList());
        return ReferenceModel.Combine(dir, Pick(Names));
    }

    private byte[] RandomBytes(int max)
    {
        var data = new byte[_random.Next(1, max)];
        _random.NextBytes(data);
        return data;
    }

    /// <summary>Applies one random operation; returns its description, or null when it was not applicable.</summary>
    private async Task<string?> StepAsync()
    {
        var files = _model.Files.Keys.ToList();
        switch (_random.Next(12))
        {
            case 0:
            case 1:
                return await CreateAsync(RandomPath());
            case 2:
            case 3:
                return files.Count == 0 ? null : await WriteAsync(Pick(files));
            case 4:
                return files.Count == 0 ? null : await TruncateAsync(Pick(files));
            case 5:
                return files.Count == 0 ? null : await CloseOrOpenAsync(Pick(files));
            case 6:
                return files.Count == 0 ? null : await RenameFileAsync(Pick(files), RandomPath());
            case 7:
                return files.Count == 0 ? null : await UnlinkAsync(Pick(files));
            case 8:
                return await MkdirAsync(RandomPath());
            case 9:
                return await RmdirAsync(Pick(_model.Directories.ToList()));
            case 10:
                return await RenameDirectoryAsync(Pick(_model.Directories.ToList()), RandomPath());
            default:
                return files.Count == 0 ? null : await AppendAsync(Pick(files));
        }
    }

    private async Task<string?> CreateAsync(string path)
    {
        if (_model.Exists(path))
        {
            var error = await Assert.ThrowsExactlyAsync<FileSystemException>(() => Engine.OpenAsync(path, OpenFlags.ReadWrite | OpenFlags.Create | OpenFlags.Exclusive, token));
            Assert.AreEqual(FsError.Exists, error.Error, Where("create", path));
            return null;
        }

        var handle = await Engine.OpenAsync(path, OpenFlags.ReadWrite | OpenFlags.Create | OpenFlags.Exclusive, token);
        _model.Files[path] = [];
        var data = RandomBytes(5000);
        await handle.WriteAsync(0, data, token);
        _model.Write(path, 0, data);
        await KeepOrCloseAsync(path, handle);
        return $"create {path}";
    }

    private async Task<string> WriteAsync(string path)
    {
        var offset = _random.Next(0, _model.Files[path].Length + 3000);
        var data = RandomBytes(4000);
        var handle = await HandleAsync(path);
        await handle.WriteAsync(offset, data, token);
        _model.Write(path, offset, data);
        await KeepOrCloseAsync(path, handle);
        return $"write {data.Length} at {offset} in {path}";
    }

    private async Task<string> AppendAsync(string path)
    {
        var data = RandomBytes(3000);
        var handle = await HandleAsync(path);
        var offset = _model.Files[path].Length;
        await handle.WriteAsync(offset, data, token);
        _model.Write(path, offset, data);
        await KeepOrCloseAsync(path, handle);
        return $"append {data.Length} to {path}";
    }

    private async Task<string> TruncateAsync(string path)
    {
        var length = _random.Next(0, _model.Files[path].Length + 5000);
        var handle = await HandleAsync(path);
        await handle.TruncateAsync(length, token);
        _model.Truncate(path, length);
        await KeepOrCloseAsync(path, handle);
        return $"truncate {path} to {length}";
    }

    private async Task<string> CloseOrOpenAsync(string path)
    {
        if (_open.Remove(path, out var handle))
        {
            await handle.ReleaseAsync(token);
            return $"close {path}";
        }

        _open[path] = await Engine.OpenAsync(path, OpenFlags.ReadWrite, token);
        return $"open {path}";
    }

    private async Task<string?> RenameFileAsync(string from, string to)
    {
        if (from == to || _model.Directories.Contains(to) || !_model.Directories.Contains(ReferenceModel.Parent(to)))
        {
            return null;
        }

        await CloseAsync(to);
        await Engine.RenameAsync(from, to, noReplace: false, token);
        _model.Files.Remove(to);
        _model.RenameFile(from, to);
        if (_open.Remove(from, out var handle))
        {
            _open[to] = handle;
        }

        return $"rename {from} -> {to}";
    }

    private async Task<string> UnlinkAsync(string path)
    {
        await CloseAsync(path);
        await Engine.DeleteFileAsync(path, token);
        _model.Files.Remove(path);
        return $"unlink {path}";
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

        await Engine.RenameAsync(from, to, noReplace: true, token);
        _model.RenameDirectory(from, to);
        foreach (var path in _open.Keys.Where(p => _model.IsBelow(p, from) || p == from).ToList())
        {
            _open.Remove(path, out var handle);
            _open[to + path[from.Length..]] = handle!;
        }

        return $"rename dir {from} -> {to}";
    }

    private async Task<FileHandle> HandleAsync(string path) =>
        _open.Remove(path, out var handle) ? handle : await Engine.OpenAsync(path, OpenFlags.ReadWrite, token);

    private async Task KeepOrCloseAsync(string path, FileHandle handle)
    {
        if (_random.Next(3) == 0)
        {
            _open[path] = handle;
        }
        else
        {
            await handle.ReleaseAsync(token);
        }
    }

    private async Task CloseAsync(string path)
    {
        if (_open.Remove(path, out var handle))
        {
            await handle.ReleaseAsync(token);
        }
    }
}
