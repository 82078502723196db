namespace BucketMount.Engine.Tests;

/// <summary>What happens to the engine from outside: a crash, and someone else writing in the store.</summary>
internal sealed partial class ReferenceModelRun
{
    /// <summary>
    /// The process dies now (torn last journal record or not) and a new engine starts on its cache directory.
    /// Whatever was closed or fsynced must come back exactly, in the engine and then in the store; a file never
    /// closed nor fsynced may be gone, or empty; writes after the last close or fsync are lost.
    /// </summary>
    private async Task<string> CrashAsync()
    {
        var torn = _random.Next(2) == 0;
        var neverDurable = new List<string>();
        var rolledBack = new List<string>();
        foreach (var (path, node) in _model.Files)
        {
            if (node.OpenHandles == 0 || !node.HasUnsyncedChanges)
            {
                continue;
            }

            if (node.Durable is { } durable)
            {
                node.Data = (byte[])durable.Clone();
                rolledBack.Add(path);
            }
            else
            {
                neverDurable.Add(path);
            }
        }

        // The dead process's handles are gone, and with them every unlinked file they kept alive.
        _handles.Clear();
        foreach (var node in _model.Files.Values)
        {
            node.OpenHandles = 0;
        }

        await host.CrashAndRestartAsync(torn, _random, token);
        var what = $"crash{(torn ? " with a torn journal record" : "")} (rolled back: [{string.Join(", ", rolledBack)}], never closed: [{string.Join(", ", neverDurable)}])";
        _history.Add($"{_step}: {what}");
        await Engine.WaitForUploadsAsync(null, token);
        foreach (var path in neverDurable)
        {
            if (await Engine.TryGetAttributesAsync(path, token) is { } shown)
            {
                Assert.AreEqual(0L, shown.Size, Where(what, $"{path}, never closed nor fsynced, is gone or empty after the crash"));
                _model.Files[path].Data = [];
            }
            else
            {
                _model.Files.Remove(path);
            }
        }

        foreach (var node in _model.Files.Values)
        {
            node.MarkDurable();
            _touched.Add(node);
        }

        // A new engine learns modes and symlinks from the store by lookup, which after a listing on stores whose
        // listings carry no metadata does not ask (issue 16, branch i-index): not compared after a crash for now.
        ForgetModes();

        await CompareAsync(what, full: true);
        await CompareStoreAsync(what + ", once the recovered uploads are done");
        return what;
    }

    /// <summary>
    /// Someone else replaces a file (not open here) in the store. Once our uploads are done: with LastWriterWins
    /// the name holds theirs, or ours when ours was still to be uploaded; with KeepBoth it holds theirs, and ours,
    /// when it was still to be uploaded, may stand beside it as a conflict copy.
    /// </summary>
    private async Task<string?> OutsideWriteAsync(string path)
    {
        var node = _model.Files[path];
        if (node.OpenHandles > 0)
        {
            return null;
        }

        var pending = Engine.PendingChanges().Any(c => c.Path == path);
        if (!pending && Engine.RegisteredFile(path) is not null)
        {
            // An upload may still be finishing; once all are done a clean file nobody has open must be let go.
            await Engine.WaitForUploadsAsync(null, token);
            await AssertNothingRegisteredAsync($"before outside-write over {path}");
        }

        var ours = node.Data;
        var theirs = RandomBytes(RandomSize());
        await host.Store.PutAsync(path[1..], new MemoryStream(theirs), null, token);
        await Engine.WaitForUploadsAsync(null, token);
        var now = await ReadAsync(path, node);
        var inStore = await host.Store.HeadAsync(path[1..], token);
        var what = $"outside-write {theirs.Length} bytes over {path} ({(pending ? "ours pending" : "ours stored")})";
        var isOurs = now.AsSpan().SequenceEqual(ours);
        var isTheirs = now.AsSpan().SequenceEqual(theirs);
        // A file renamed onto its name replaces exactly what stood there at the rename (docs/SEMANTICS.md): someone
        // else's write between that rename and our upload is a conflict like any other.
        if (scenario.Conflicts == ConflictPolicy.LastWriterWins && pending)
        {
            Assert.IsTrue(isOurs || isTheirs, Where(what, $"{path} holds ours ({ours.Length} bytes) or theirs ({theirs.Length} bytes), got {now.Length} bytes"));
        }
        else
        {
            Assert.IsTrue(isTheirs, Where(what, $"{path} holds theirs ({theirs.Length} bytes), got {now.Length} bytes{(isOurs ? ": ours" : "")}; the store holds {inStore?.Size} bytes"));
        }

        if (!isOurs || !isTheirs)
        {
            node.Data = now;
            node.Mode = isOurs ? node.Mode : null;
        }

        node.MarkDurable();
        _touched.Add(node);
        var parent = ReferenceModel.Parent(path);
        var copies = (await Engine.ListDirectoryAsync(parent, token))
            .Where(n => !_model.Exists(ReferenceModel.Combine(parent, n.Name))).Select(n => ReferenceModel.Combine(parent, n.Name)).ToList();
        if (scenario.Conflicts == ConflictPolicy.KeepBoth && pending && copies.Count == 1)
        {
            var stem = Path.GetFileNameWithoutExtension(ReferenceModel.Name(path));
            StringAssert.StartsWith(ReferenceModel.Name(copies[0]), stem + ".conflict-", Where(what, "name of the conflict copy"));
            var copy = new ModelNode { Data = ours };
            copy.MarkDurable();
            _model.Files[copies[0]] = copy;
            _touched.Add(copy);
            return what + $", our version kept as {copies[0]}";
        }

        Assert.IsEmpty(copies, Where(what, $"no other new name in {parent}: [{string.Join(", ", copies)}]"));
        return what + (isOurs && !isTheirs ? ", ours won" : "");
    }
}
