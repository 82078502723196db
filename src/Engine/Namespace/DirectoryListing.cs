namespace BucketMount.Engine.Namespace;

/// <summary>
/// The children of one directory as last listed, kept up to date with the engine's own changes. Thread-safe;
/// readers get snapshots.
/// </summary>
internal sealed class DirectoryListing
{
    private readonly Dictionary<string, NodeInfo> _children = new(StringComparer.Ordinal);

    public DirectoryListing(IEnumerable<NodeInfo> children)
    {
        foreach (var child in children)
        {
            _children[child.Name] = child;
        }
    }

    /// <summary>The metadata cache's change count when the LIST that made this listing began (0: not from the store).</summary>
    public long Stamp { get; init; }

    /// <summary>
    /// True while the listing was read only to answer lookups (no readdir has used it): such lookups still HEAD a
    /// file whose stored attributes are unknown, so stat shows exact times as it would without the listing.
    /// </summary>
    public bool MadeForLookups { get; set; }

    public int Count
    {
        get
        {
            lock (_children)
            {
                return _children.Count;
            }
        }
    }

    public NodeInfo? Find(string name)
    {
        lock (_children)
        {
            return _children.GetValueOrDefault(name);
        }
    }

    /// <summary>Names that equal <paramref name="name"/> ignoring case, in ordinal order (for case-insensitive hosts).</summary>
    public List<NodeInfo> FindIgnoringCase(string name)
    {
        lock (_children)
        {
            return _children.Values.Where(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase))
                .OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
        }
    }

    public void Set(NodeInfo child)
    {
        lock (_children)
        {
            _children[child.Name] = child;
        }
    }

    public void Remove(string name)
    {
        lock (_children)
        {
            _children.Remove(name);
        }
    }

    public List<NodeInfo> Snapshot()
    {
        lock (_children)
        {
            return _children.Values.OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
        }
    }
}
