namespace BucketMount.Backends;

/// <summary>One item of a listing: either an object or a common prefix (a "directory" ending in the delimiter).</summary>
public sealed class ListEntry
{
    private ListEntry(string key, ObjectInfo? obj, ObjectInfo? marker = null)
    {
        Key = key;
        Object = obj;
        Marker = marker;
    }

    /// <summary>The object's key, or the common prefix including its trailing delimiter.</summary>
    public string Key { get; }

    /// <summary>The object, or null when this entry is a common prefix.</summary>
    public ObjectInfo? Object { get; }

    public bool IsPrefix => Object is null;

    /// <summary>
    /// For a common prefix: the zero-byte object named like the prefix itself (a directory's marker "dir/"), with
    /// its metadata, when the store can give it at no extra request (the local store); null otherwise.
    /// </summary>
    public ObjectInfo? Marker { get; }

    public static ListEntry ForObject(ObjectInfo info) => new(info.Key, info);

    public static ListEntry ForPrefix(string prefix, ObjectInfo? marker = null) => new(prefix, null, marker);

    public override string ToString() => IsPrefix ? $"{Key} (prefix)" : $"{Key} ({Object!.Size} bytes)";
}
