namespace BucketMount.Backends;

/// <summary>One item of a listing: either an object or a common prefix (a "directory" ending in the delimiter).</summary>
public sealed class ListEntry
{
    private ListEntry(string key, ObjectInfo? obj)
    {
        Key = key;
        Object = obj;
    }

    /// <summary>The object's key, or the common prefix including its trailing delimiter.</summary>
    public string Key { get; }

    /// <summary>The object, or null when this entry is a common prefix.</summary>
    public ObjectInfo? Object { get; }

    public bool IsPrefix => Object is null;

    public static ListEntry ForObject(ObjectInfo info) => new(info.Key, info);

    public static ListEntry ForPrefix(string prefix) => new(prefix, null);

    public override string ToString() => IsPrefix ? $"{Key} (prefix)" : $"{Key} ({Object!.Size} bytes)";
}
