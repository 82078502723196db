using System.Buffers;

namespace BucketMount.Fuse.Interop;

/// <summary>
/// A <see cref="Memory{T}"/> over a buffer libfuse lends for the duration of one callback, so the engine can read
/// into it or write from it without a copy. Valid only until the callback returns (the callback blocks until then).
/// </summary>
internal sealed unsafe class LentBuffer(byte* pointer, int length) : MemoryManager<byte>
{
    public override Span<byte> GetSpan() => new(pointer, length);

    public override MemoryHandle Pin(int elementIndex = 0) => new(pointer + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}
