namespace BucketMount.Backends.Decorators;

/// <summary>A part upload that wraps another and forwards every call; the store decorators' part uploads override what they change.</summary>
public abstract class PartUploadDecorator(IPartUpload inner) : IPartUpload
{
    protected IPartUpload Inner { get; } = inner;

    public virtual string Key => Inner.Key;

    public string UploadId => Inner.UploadId;

    public virtual Task UploadPartAsync(int partNumber, IUploadSource source, long offset, long length, CancellationToken cancellationToken) =>
        Inner.UploadPartAsync(partNumber, source, offset, length, cancellationToken);

    public virtual Task<ObjectInfo> CompleteAsync(long length, CancellationToken cancellationToken) =>
        Inner.CompleteAsync(length, cancellationToken);

    public virtual Task AbortAsync(CancellationToken cancellationToken) => Inner.AbortAsync(cancellationToken);
}
